// Where things are in a schema file: its Drizzle imports, each sqliteTable definition (name argument, columns object,
// every column's builder call and chained modifiers, the third argument in its array or object form), and the
// file's style. Read-only: positions come from @babel/parser, and nothing here changes text (edits.ts does).
import { parse } from '@babel/parser';
import type {
  ArrayExpression,
  CallExpression,
  Expression,
  Node,
  ObjectExpression,
  ObjectProperty,
  Statement,
  StringLiteral,
} from '@babel/types';
import { toCamelCase } from 'drizzle-orm/casing';
import { AppError } from '../core/errors.js';

export const SQLITE_CORE = 'drizzle-orm/sqlite-core';
export const DRIZZLE_ORM = 'drizzle-orm';

export interface FileStyle {
  quote: "'" | '"';
  semicolons: boolean;
  /** One level of indentation ("  ", "    " or "\t"). */
  indent: string;
  trailingCommas: boolean;
  /** The file writes some columns without a name argument (`text()`), i.e. relies on the key or on `casing`. */
  omitsColumnNames: boolean;
  /** Properties follow camelCase of the SQL name (else they repeat the SQL name). */
  camelProperties: boolean;
  /** Third argument of sqliteTable: the array form (drizzle ≥ 0.36) or the older object form. */
  extraForm: 'array' | 'object';
  /** Parameter name used by the third argument's callback. */
  extraParam: string;
}

export interface ImportBinding {
  imported: string;
  local: string;
}

export interface ImportInfo {
  node: Node & { start: number; end: number };
  source: string;
  specifiers: ImportBinding[];
  /** Named specifier nodes, in source order (for splicing a new one in). */
  specifierNodes: Array<Node & { start: number; end: number }>;
  namespace?: string;
  typeOnly: boolean;
}

export interface ChainCall {
  name: string;
  call: CallExpression & Pos;
  /** Where the `.name(…)` segment starts: the end of the expression it is called on. */
  segmentStart: number;
}

export interface SourceColumn {
  property: string;
  prop: ObjectProperty & Pos;
  value: Expression & Pos;
  /** The builder call (`text('x', {…})`). */
  base: CallExpression & Pos;
  /** The builder's imported name (text, integer, …), or undefined for a builder this engine does not know. */
  builder: string | undefined;
  nameArg?: StringLiteral & Pos;
  configArg?: ObjectExpression & Pos;
  chain: ChainCall[];
}

export interface ExtraElement {
  node: Expression & Pos;
  /** The property in the object form. */
  prop?: ObjectProperty & Pos;
  builder: string | undefined;
  name?: string;
  chain: ChainCall[];
  base: CallExpression & Pos;
}

export interface ExtraConfig {
  fn: Node & Pos;
  param?: string;
  kind: 'array' | 'object';
  container: (ArrayExpression | ObjectExpression) & Pos;
  elements: ExtraElement[];
}

export interface SourceTable {
  file: string;
  exportName: string;
  localName: string;
  statement: Statement & Pos;
  call: CallExpression & Pos;
  nameArg: Node & Pos;
  columnsObject: ObjectExpression & Pos;
  columns: SourceColumn[];
  hasSpread: boolean;
  extra?: ExtraConfig;
}

export interface ParsedFile {
  path: string;
  text: string;
  statements: Array<Statement & Pos>;
  imports: ImportInfo[];
  tables: SourceTable[];
  /** Relative re-exports (`export * from './users'`, `export { a } from './b'`): barrels. */
  reExports: string[];
  style: FileStyle;
  /** Offset after the last import declaration (0 when there is none). */
  afterImports: number;
}

export interface Pos {
  start: number;
  end: number;
}

type AnyNode = Node & Pos;

export function parseSchemaFile(path: string, text: string): ParsedFile {
  let program;
  try {
    program = parse(text, {
      sourceType: 'module',
      plugins: ['typescript'],
      errorRecovery: false,
    }).program;
  } catch (error) {
    const loc = (error as { loc?: { line: number; column: number } }).loc;
    throw new AppError(
      'SCHEMA_LOAD_FAILED',
      `${path}${loc ? `:${loc.line}:${loc.column + 1}` : ''} does not parse as TypeScript: ${(error as Error).message}`,
      { hint: 'Fix the syntax error in the schema file first; edit_schema edits only files that parse.' },
    );
  }
  const statements = program.body as Array<Statement & Pos>;
  const imports = statements.filter((s) => s.type === 'ImportDeclaration').map(importInfo);
  const builders = builderResolver(imports);
  const exported = exportedNames(statements);
  const tables: SourceTable[] = [];
  for (const statement of statements) {
    const declaration =
      statement.type === 'ExportNamedDeclaration'
        ? statement.declaration
        : statement.type === 'VariableDeclaration'
          ? statement
          : null;
    if (declaration?.type !== 'VariableDeclaration') continue;
    for (const declarator of declaration.declarations) {
      if (declarator.id.type !== 'Identifier' || !declarator.init) continue;
      const call = unwrap(declarator.init);
      if (call.type !== 'CallExpression' || !builders.isTableCall(call)) continue;
      const local = declarator.id.name;
      const exportName = statement.type === 'ExportNamedDeclaration' ? local : exported.get(local);
      if (exportName === undefined) continue;
      const table = tableOf(path, statement, call as CallExpression & Pos, local, exportName, builders);
      if (table) tables.push(table);
    }
  }
  const reExports = statements.flatMap((s) =>
    (s.type === 'ExportAllDeclaration' || s.type === 'ExportNamedDeclaration') &&
    s.source &&
    s.source.value.startsWith('.')
      ? [s.source.value]
      : [],
  );
  const lastImport = statements.filter((s) => s.type === 'ImportDeclaration').at(-1);
  return {
    path,
    text,
    statements,
    imports,
    tables,
    reExports,
    style: detectStyle(text, statements, tables),
    afterImports: lastImport ? lastImport.end : 0,
  };
}

function importInfo(statement: Statement & Pos): ImportInfo {
  if (statement.type !== 'ImportDeclaration') throw new Error('not an import');
  const specifiers: ImportBinding[] = [];
  const specifierNodes: AnyNode[] = [];
  let namespace: string | undefined;
  for (const spec of statement.specifiers) {
    if (spec.type === 'ImportSpecifier') {
      const imported = spec.imported.type === 'Identifier' ? spec.imported.name : spec.imported.value;
      specifiers.push({ imported, local: spec.local.name });
      specifierNodes.push(spec as AnyNode);
    } else if (spec.type === 'ImportNamespaceSpecifier') {
      namespace = spec.local.name;
    }
  }
  return {
    node: statement,
    source: statement.source.value,
    specifiers,
    specifierNodes,
    ...(namespace ? { namespace } : {}),
    typeOnly: statement.importKind === 'type',
  };
}

interface BuilderResolver {
  isTableCall(call: CallExpression): boolean;
  /** The sqlite-core export a callee refers to (`text`, `index`, …), if it is one. */
  nameOf(callee: Node): string | undefined;
}

function builderResolver(imports: ImportInfo[]): BuilderResolver {
  const byLocal = new Map<string, string>();
  const namespaces = new Set<string>();
  for (const info of imports) {
    if (info.source !== SQLITE_CORE) continue;
    for (const spec of info.specifiers) byLocal.set(spec.local, spec.imported);
    if (info.namespace) namespaces.add(info.namespace);
  }
  const nameOf = (callee: Node): string | undefined => {
    if (callee.type === 'Identifier') return byLocal.get(callee.name);
    if (
      callee.type === 'MemberExpression' &&
      callee.object.type === 'Identifier' &&
      namespaces.has(callee.object.name) &&
      callee.property.type === 'Identifier'
    )
      return callee.property.name;
    return undefined;
  };
  return {
    nameOf,
    isTableCall: (call) => nameOf(call.callee) === 'sqliteTable',
  };
}

function exportedNames(statements: Statement[]): Map<string, string> {
  const names = new Map<string, string>();
  for (const s of statements) {
    if (s.type !== 'ExportNamedDeclaration' || s.source || s.declaration) continue;
    for (const spec of s.specifiers) {
      if (spec.type !== 'ExportSpecifier') continue;
      const exportedName = spec.exported.type === 'Identifier' ? spec.exported.name : spec.exported.value;
      names.set(spec.local.name, exportedName);
    }
  }
  return names;
}

/** `x as T`, `x satisfies T`, `(x)`: the expression inside. */
function unwrap(node: Expression): Expression {
  let current = node;
  while (
    current.type === 'TSAsExpression' ||
    current.type === 'TSSatisfiesExpression' ||
    current.type === 'TSNonNullExpression' ||
    current.type === 'ParenthesizedExpression'
  )
    current = current.expression;
  return current;
}

function tableOf(
  file: string,
  statement: Statement & Pos,
  call: CallExpression & Pos,
  localName: string,
  exportName: string,
  builders: BuilderResolver,
): SourceTable | undefined {
  const [nameArg, columnsArg, extraArg] = call.arguments as AnyNode[];
  if (!nameArg || columnsArg?.type !== 'ObjectExpression') return undefined;
  const columnsObject = columnsArg as ObjectExpression & Pos;
  const columns: SourceColumn[] = [];
  let hasSpread = false;
  for (const prop of columnsObject.properties) {
    if (prop.type !== 'ObjectProperty') {
      hasSpread = true;
      continue;
    }
    const property = keyName(prop);
    if (property === undefined) continue;
    const value = prop.value as Expression & Pos;
    const { base, chain } = chainOf(value);
    if (!base) continue;
    const [first, second] = base.arguments as AnyNode[];
    const nameArg = first?.type === 'StringLiteral' ? (first as StringLiteral & Pos) : undefined;
    const configCandidate = nameArg ? second : first;
    columns.push({
      property,
      prop: prop as ObjectProperty & Pos,
      value,
      base,
      builder: builders.nameOf(base.callee),
      ...(nameArg ? { nameArg } : {}),
      ...(configCandidate?.type === 'ObjectExpression'
        ? { configArg: configCandidate as ObjectExpression & Pos }
        : {}),
      chain,
    });
  }
  const extra = extraArg ? extraOf(extraArg, builders) : undefined;
  return {
    file,
    exportName,
    localName,
    statement,
    call,
    nameArg,
    columnsObject,
    columns,
    hasSpread,
    ...(extra ? { extra } : {}),
  };
}

export function keyName(prop: ObjectProperty): string | undefined {
  if (prop.computed) return undefined;
  if (prop.key.type === 'Identifier') return prop.key.name;
  if (prop.key.type === 'StringLiteral') return prop.key.value;
  return undefined;
}

/** `base(…).a(…).b(…)` → the base call and the chained calls in order. */
function chainOf(expression: Expression): { base: (CallExpression & Pos) | undefined; chain: ChainCall[] } {
  const chain: ChainCall[] = [];
  let current: Node = expression;
  while (current.type === 'CallExpression') {
    const callee: Node = current.callee;
    if (callee.type === 'MemberExpression' && !callee.computed && callee.property.type === 'Identifier') {
      const inner = unwrap(callee.object as Expression) as Expression & Pos;
      if (inner.type !== 'CallExpression') {
        // `ns.text(…)`: a namespaced builder, the base itself.
        return { base: current as CallExpression & Pos, chain };
      }
      chain.unshift({
        name: callee.property.name,
        call: current as CallExpression & Pos,
        segmentStart: (callee.object as AnyNode).end,
      });
      current = inner;
      continue;
    }
    return { base: current as CallExpression & Pos, chain };
  }
  return { base: undefined, chain };
}

function extraOf(arg: AnyNode, builders: BuilderResolver): ExtraConfig | undefined {
  if (arg.type !== 'ArrowFunctionExpression' && arg.type !== 'FunctionExpression') return undefined;
  const param = arg.params[0]?.type === 'Identifier' ? arg.params[0].name : undefined;
  let body: Node = arg.body;
  if (body.type === 'BlockStatement') {
    const ret = body.body.find((s) => s.type === 'ReturnStatement');
    if (!ret || ret.type !== 'ReturnStatement' || !ret.argument) return undefined;
    body = ret.argument;
  }
  body = unwrap(body as Expression);
  const toElement = (node: AnyNode, prop?: ObjectProperty & Pos): ExtraElement | undefined => {
    const { base, chain } = chainOf(node as Expression);
    if (!base) return undefined;
    const first = base.arguments[0];
    return {
      node: node as Expression & Pos,
      ...(prop ? { prop } : {}),
      builder: builders.nameOf(base.callee),
      ...(first?.type === 'StringLiteral' ? { name: first.value } : {}),
      chain,
      base,
    };
  };
  if (body.type === 'ArrayExpression') {
    const elements = (body.elements.filter(Boolean) as AnyNode[]).flatMap((node) => toElement(node) ?? []);
    return {
      fn: arg,
      ...(param ? { param } : {}),
      kind: 'array',
      container: body as ArrayExpression & Pos,
      elements,
    };
  }
  if (body.type === 'ObjectExpression') {
    const elements = body.properties.flatMap((prop) =>
      prop.type === 'ObjectProperty'
        ? (toElement(prop.value as AnyNode, prop as ObjectProperty & Pos) ?? [])
        : [],
    );
    return {
      fn: arg,
      ...(param ? { param } : {}),
      kind: 'object',
      container: body as ObjectExpression & Pos,
      elements,
    };
  }
  return undefined;
}

function detectStyle(text: string, statements: Array<Statement & Pos>, tables: SourceTable[]): FileStyle {
  const singles = (text.match(/(^|[\s([{,:=])'/g) ?? []).length;
  const doubles = (text.match(/(^|[\s([{,:=])"/g) ?? []).length;
  const withSemi = statements.filter((s) => text[s.end - 1] === ';').length;
  const indent = detectIndent(text);
  let trailing = 0;
  let notTrailing = 0;
  let omits = false;
  let camel = 0;
  let same = 0;
  let arrays = 0;
  let objects = 0;
  const params = new Map<string, number>();
  for (const table of tables) {
    const last = table.columnsObject.properties.at(-1) as AnyNode | undefined;
    if (last && text.slice(table.columnsObject.start, last.start).includes('\n')) {
      if (nextSignificant(text, last.end) === ',') trailing++;
      else notTrailing++;
    }
    for (const column of table.columns) {
      if (!column.nameArg) omits = true;
      else if (column.nameArg.value !== column.property) {
        if (toCamel(column.nameArg.value) === column.property) camel++;
      } else if (toCamel(column.nameArg.value) !== column.property) same++;
    }
    if (table.extra?.kind === 'array') arrays++;
    if (table.extra?.kind === 'object') objects++;
    if (table.extra?.param) params.set(table.extra.param, (params.get(table.extra.param) ?? 0) + 1);
  }
  const extraParam = [...params.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 'table';
  return {
    quote: doubles > singles ? '"' : "'",
    semicolons: statements.length === 0 || withSemi * 2 >= statements.length,
    indent,
    trailingCommas: trailing + notTrailing === 0 ? true : trailing >= notTrailing,
    omitsColumnNames: omits,
    camelProperties: camel >= same,
    extraForm: objects > arrays ? 'object' : 'array',
    extraParam,
  };
}

function detectIndent(text: string): string {
  let min = Infinity;
  for (const line of text.split('\n')) {
    if (line.startsWith('\t')) return '\t';
    const match = /^( +)\S/.exec(line);
    if (match?.[1] && !line.trimStart().startsWith('*')) min = Math.min(min, match[1].length);
  }
  return min === Infinity ? '  ' : ' '.repeat(min);
}

/** The first character at or after `from` that is not whitespace or inside a comment. */
export function nextSignificant(text: string, from: number): string | undefined {
  const at = skipTrivia(text, from);
  return text[at];
}

export function skipTrivia(text: string, from: number): number {
  let i = from;
  while (i < text.length) {
    const ch = text[i];
    if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r') i++;
    else if (text.startsWith('//', i)) {
      const nl = text.indexOf('\n', i);
      i = nl === -1 ? text.length : nl;
    } else if (text.startsWith('/*', i)) {
      const close = text.indexOf('*/', i + 2);
      i = close === -1 ? text.length : close + 2;
    } else break;
  }
  return i;
}

/** The property name drizzle's camelCase casing (and most schemas) derive from an SQL name. */
export function toCamel(name: string): string {
  return toCamelCase(name);
}
