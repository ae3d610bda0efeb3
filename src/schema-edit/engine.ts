// edit_schema's engine: typed operations in, new text for each schema file out (with a unified diff), or one
// AppError naming what exists. Invariants: pure (text in, text out: no file system, no process); all operations or
// none (they are applied one after another to in-memory copies, each checked against the schema model first); every
// byte the operations do not touch is the input's byte (edits are splices at AST positions, see splice.ts).
import path from 'node:path';
import type { AppliedRename, LoadedSchema } from '../project/types.js';
import { AppError } from '../core/errors.js';
import {
  cloneModel,
  columnUniqueName,
  findTable,
  modelOf,
  type ModelTable,
  type SchemaModel,
} from './model.js';
import { applyToModel, invalid, nextColumnType, requireTable, type OperationContext } from './model-ops.js';
import type { ColumnSpec, Operation, OperationOf } from './operations.js';
import {
  extraKeyFor,
  nameIsImplied,
  printBuilder,
  printCompositeForeignKey,
  printCompositePrimaryKey,
  printDefault,
  printIndex,
  printKey,
  printModifiers,
  printProperty,
  printReference,
  printTable,
  propertyFor,
  quote,
  type Casing,
  type PrintContext,
} from './print.js';
import { bindingRefs, columnRefs } from './refs.js';
import {
  DRIZZLE_ORM,
  SQLITE_CORE,
  keyName,
  parseSchemaFile,
  toCamel,
  type ChainCall,
  type ParsedFile,
  type Pos,
  type SourceColumn,
  type SourceTable,
} from './source.js';
import {
  appendToList,
  applySplices,
  indentAt,
  insertBefore,
  isMultiline,
  lineStart,
  removeFromList,
  type Splice,
} from './splice.js';
import { unifiedDiff } from './unified-diff.js';

export interface SchemaSource {
  /** Absolute path. */
  path: string;
  text: string;
}

export interface EditSchemaInput {
  /** Every schema file: the config's `schema` files and the files their barrels re-export (collectSchemaSources). */
  sources: SchemaSource[];
  /** The project's schema as the kit worker loaded it from exactly these sources. */
  schema: LoadedSchema;
  casing: Casing;
  operations: Operation[];
  /** Project root: diffs name files relative to it, and add_table's `file` is resolved from it. */
  root: string;
  /** The project's prettier printWidth when it has one (default 80): where new chains break. */
  printWidth?: number;
}

export interface FileChange {
  path: string;
  /** Undefined for a file the edit creates. */
  before: string | undefined;
  after: string;
  /** Unified diff with paths relative to the project root. */
  diff: string;
}

export interface EditSchemaResult {
  changes: FileChange[];
  /** The operations with every default the file's conventions decided filled in: what verification replays. */
  operations: Operation[];
  /** Renames the next generate_migration should apply without asking (SQL names). */
  renames: AppliedRename[];
  /** Things the caller should tell the human (e.g. code outside the schema that uses a renamed property). */
  warnings: string[];
  /** The schema model as it should load after the edit. */
  expected: SchemaModel;
}

export function editSchema(input: EditSchemaInput): EditSchemaResult {
  const session = new EditSession(input);
  const resolved = input.operations.map((op, index) => session.apply(op, { index }));
  return session.result(resolved);
}

interface Needs {
  core: Map<string, boolean>;
  sql: boolean;
  relative: Map<string, Set<string>>;
}

class EditSession {
  private readonly files = new Map<string, ParsedFile>();
  private readonly originals = new Map<string, string | undefined>();
  private readonly model: SchemaModel;
  private readonly renames: AppliedRename[] = [];
  private readonly warnings: string[] = [];

  constructor(private readonly input: EditSchemaInput) {
    for (const source of input.sources) {
      this.files.set(source.path, parseSchemaFile(source.path, source.text));
      this.originals.set(source.path, source.text);
    }
    this.model = cloneModel(modelOf(input.schema));
  }

  result(operations: Operation[]): EditSchemaResult {
    const changes: FileChange[] = [];
    for (const [file, parsed] of this.files) {
      const before = this.originals.get(file);
      if (before === parsed.text) continue;
      const name = path.relative(this.input.root, file).split(path.sep).join('/');
      changes.push({ path: file, before, after: parsed.text, diff: unifiedDiff(name, before, parsed.text) });
    }
    return { changes, operations, renames: this.renames, warnings: this.warnings, expected: this.model };
  }

  apply(raw: Operation, ctx: OperationContext): Operation {
    const op = this.resolve(raw, ctx);
    const before = cloneModel(this.model);
    applyToModel(this.model, op, ctx);
    switch (op.op) {
      case 'add_table':
        this.addTable(op, ctx);
        break;
      case 'add_column':
        this.addColumn(op, before, ctx);
        break;
      case 'drop_column':
        this.dropColumn(op, before, ctx);
        break;
      case 'rename_column':
        this.renameColumn(op, before, ctx);
        break;
      case 'rename_table':
        this.renameTable(op, before, ctx);
        break;
      case 'alter_column':
        this.alterColumn(op, before, ctx);
        break;
      case 'add_index':
        this.addExtra(
          op.table,
          before,
          ctx,
          (param, c) =>
            printIndex(
              {
                name: op.name!,
                unique: Boolean(op.unique),
                columns: this.props(before, op.table, op.columns),
              },
              param,
              c,
            ),
          op.name!,
        );
        break;
      case 'drop_index':
        this.dropIndex(op, before, ctx);
        break;
      case 'add_foreign_key':
        this.addForeignKey(op, before, ctx);
        break;
      case 'drop_foreign_key':
        this.dropForeignKey(op, before, ctx);
        break;
    }
    return op;
  }

  // ---- resolution: the names the file's conventions decide -----------------------------------------------------

  private resolve(op: Operation, ctx: OperationContext): Operation {
    const casing = this.input.casing;
    switch (op.op) {
      case 'add_table': {
        const file = this.targetFile(op, ctx);
        const style = this.files.get(file)?.style ?? this.styleForNewFile();
        return {
          ...op,
          file,
          exportName: op.exportName ?? toCamel(op.table),
          // Composite key columns are written NOT NULL: SQLite (unlike the standard) lets NULLs into a composite key.
          columns: op.columns.map((c) => ({
            ...c,
            property: c.property ?? propertyFor(c.name, style, casing),
            ...(op.primaryKey?.includes(c.name) ? { notNull: true } : {}),
          })),
          ...(op.indexes
            ? {
                indexes: op.indexes.map((i) => ({
                  ...i,
                  name: i.name ?? defaultIndexName(op.table, i.columns, i.unique),
                })),
              }
            : {}),
        };
      }
      case 'add_column': {
        const table = requireTable(this.model, op.table, ctx);
        const style = this.parsed(this.tableSource(table, ctx).file).style;
        return {
          ...op,
          column: {
            ...op.column,
            property: op.column.property ?? propertyFor(op.column.name, style, casing),
          },
        };
      }
      case 'add_index':
        return { ...op, name: op.name ?? defaultIndexName(op.table, op.columns, op.unique) };
      case 'rename_column': {
        const table = requireTable(this.model, op.table, ctx);
        const column = table.columns.find((c) => c.name === op.column);
        return { ...op, property: op.property ?? column?.property ?? op.column };
      }
      case 'rename_table': {
        const table = requireTable(this.model, op.table, ctx);
        return { ...op, exportName: op.exportName ?? table.exportName };
      }
      default:
        return op;
    }
  }

  private targetFile(op: OperationOf<'add_table'>, ctx: OperationContext): string {
    if (op.file) {
      const file = path.resolve(this.input.root, op.file);
      const inProject = path.relative(this.input.root, file);
      // Security: a new schema file is written where the operation says; never outside the project.
      if (
        inProject.startsWith('..') ||
        path.isAbsolute(inProject) ||
        inProject.split(path.sep).includes('node_modules')
      ) {
        throw invalid(
          ctx,
          'BAD_FILE',
          `"${op.file}" is outside the project (or in node_modules).`,
          'Name a file inside the project, relative to its root, e.g. "src/db/schema/posts.ts".',
        );
      }
      if (!/\.[cm]?[jt]s$/.test(file)) {
        throw invalid(
          ctx,
          'BAD_FILE',
          `"${op.file}" is not a TypeScript/JavaScript file.`,
          'Name a .ts file, e.g. "src/db/schema/posts.ts".',
        );
      }
      return file;
    }
    const withTables = [...this.files.values()].filter((f) => f.tables.length > 0);
    const referenced = [
      ...op.columns.flatMap((c) => (c.references ? [c.references.table] : [])),
      ...(op.foreignKeys ?? []).map((fk) => fk.references.table),
    ];
    for (const name of referenced) {
      const table = findTable(this.model, name);
      if (table) {
        const source = this.findSource(table);
        if (source) return source.file;
      }
    }
    const main = [...withTables].sort((a, b) => b.tables.length - a.tables.length)[0];
    if (!main) {
      throw invalid(
        ctx,
        'NO_SCHEMA_FILE',
        'no schema file defines a table to add this one beside.',
        'Pass `file` with the schema file to create.',
      );
    }
    return main.path;
  }

  private styleForNewFile() {
    const first = [...this.files.values()].find((f) => f.tables.length > 0) ?? [...this.files.values()][0];
    if (!first) throw new AppError('SCHEMA_LOAD_FAILED', 'No schema source files were given.');
    return first.style;
  }

  // ---- locating ----------------------------------------------------------------------------------------------------

  private parsed(file: string): ParsedFile {
    const parsed = this.files.get(file);
    if (!parsed) throw new Error(`not a schema source: ${file}`);
    return parsed;
  }

  private findSource(table: { exportName: string }): SourceTable | undefined {
    let found: SourceTable | undefined;
    // drizzle-kit merges the files' exports in order, a later file winning a clash: so does this.
    for (const file of this.files.values())
      for (const t of file.tables) if (t.exportName === table.exportName) found = t;
    return found;
  }

  private tableSource(table: ModelTable, ctx: OperationContext): SourceTable {
    const source = this.findSource(table);
    if (!source) {
      throw invalid(
        ctx,
        'TABLE_NOT_EDITABLE',
        `table "${table.name}" (export "${table.exportName}") is not defined by an exported \`sqliteTable(…)\` call in the schema files edit_schema reads.`,
        'Tables made by a helper function or defined outside the configured schema files must be edited by hand.',
        { files: [...this.files.keys()].map((f) => path.relative(this.input.root, f)) },
      );
    }
    return source;
  }

  private sourceColumn(
    table: ModelTable,
    source: SourceTable,
    column: string,
    ctx: OperationContext,
  ): SourceColumn {
    const property = table.columns.find((c) => c.name === column)?.property ?? column;
    const found = source.columns.find((c) => c.property === property);
    if (!found) {
      throw invalid(
        ctx,
        'COLUMN_NOT_EDITABLE',
        `column "${table.name}"."${column}" (property "${property}") is not written in the table's own columns object (a spread helper?).`,
        'Edit the helper that defines it by hand.',
      );
    }
    return found;
  }

  /** Property names of SQL columns, as the model knew them before this operation. */
  private props(model: SchemaModel, table: string, columns: string[]): string[] {
    const t = findTable(model, table)!;
    return columns.map((name) => t.columns.find((c) => c.name === name)?.property ?? name);
  }

  // ---- printing context and imports -------------------------------------------------------------------------------

  private contextFor(file: ParsedFile, needs: Needs): PrintContext {
    const coreImport = file.imports.find((i) => i.source === SQLITE_CORE && i.namespace && !i.typeOnly);
    const ormImport = file.imports.find((i) => i.source === DRIZZLE_ORM);
    return {
      style: file.style,
      casing: this.input.casing,
      printWidth: this.input.printWidth ?? 80,
      core: (name, typeOnly = false) => {
        if (coreImport?.namespace) return `${coreImport.namespace}.${name}`;
        const existing = file.imports
          .filter((i) => i.source === SQLITE_CORE && (typeOnly || !i.typeOnly))
          .flatMap((i) => i.specifiers)
          .find((s) => s.imported === name);
        if (existing) return existing.local;
        if (!needs.core.has(name) || !typeOnly)
          needs.core.set(name, typeOnly && (needs.core.get(name) ?? true));
        return name;
      },
      sql: () => {
        const existing = ormImport?.specifiers.find((s) => s.imported === 'sql');
        if (existing && !ormImport?.typeOnly) return existing.local;
        if (ormImport?.namespace) return `${ormImport.namespace}.sql`;
        needs.sql = true;
        return 'sql';
      },
    };
  }

  private newNeeds(): Needs {
    return { core: new Map(), sql: false, relative: new Map() };
  }

  /** The identifier `file` can use for `table` (importing it from its own schema file when needed). */
  private tableRef(file: ParsedFile, table: ModelTable, needs: Needs, ctx: OperationContext): string {
    const source = this.findSource(table) ?? this.tableSource(table, ctx);
    if (source.file === file.path) return source.localName;
    for (const info of file.imports) {
      if (info.typeOnly || !info.source.startsWith('.')) continue;
      const spec = info.specifiers.find((s) => s.imported === source.exportName);
      if (spec && this.resolveRelative(file.path, info.source) === source.file) return spec.local;
    }
    const specifier = this.relativeSpecifier(file, source.file);
    const names = needs.relative.get(specifier) ?? new Set<string>();
    names.add(source.exportName);
    needs.relative.set(specifier, names);
    return source.exportName;
  }

  private relativeSpecifier(file: ParsedFile, target: string): string {
    let rel = path.relative(path.dirname(file.path), target).split(path.sep).join('/');
    if (!rel.startsWith('.')) rel = `./${rel}`;
    // The file's own relative imports say whether specifiers carry an extension; a new file asks the others.
    const own = file.imports.filter((i) => i.source.startsWith('.')).map((i) => i.source);
    const others =
      own.length > 0
        ? own
        : [...this.files.values()]
            .flatMap((f) => [...f.imports.map((i) => i.source), ...f.reExports])
            .filter((s) => s.startsWith('.'));
    const ext = others.some((s) => s.endsWith('.js'))
      ? '.js'
      : others.some((s) => s.endsWith('.ts'))
        ? '.ts'
        : '';
    return rel.replace(/\.[cm]?[jt]s$/, '') + ext;
  }

  private resolveRelative(from: string, specifier: string): string | undefined {
    const base = path.resolve(path.dirname(from), specifier);
    const candidates = [
      base,
      base.replace(/\.[cm]?js$/, '.ts'),
      `${base}.ts`,
      `${base}.tsx`,
      `${base}.mts`,
      path.join(base, 'index.ts'),
    ];
    return candidates.find((c) => this.files.has(c));
  }

  /** Writes `splices` into `file`, then adds the imports the printed code needs, and re-parses. */
  private commit(file: string, splices: Splice[], needs?: Needs): void {
    let parsed = this.parsed(file);
    if (splices.length > 0) parsed = this.replace(file, applySplices(parsed.text, splices));
    const imports = needs ? this.importSplices(parsed, needs) : [];
    if (imports.length > 0) this.replace(file, applySplices(parsed.text, imports));
  }

  private replace(file: string, text: string): ParsedFile {
    const parsed = parseSchemaFile(file, text);
    this.files.set(file, parsed);
    return parsed;
  }

  private importSplices(file: ParsedFile, needs: Needs): Splice[] {
    const { style } = file;
    const q = (s: string) => quote(s, style);
    const semi = style.semicolons ? ';' : '';
    const splices: Splice[] = [];
    const newStatements: string[] = [];
    const addNamed = (source: string, names: string[], typeOnly: (n: string) => boolean) => {
      if (names.length === 0) return;
      const info = file.imports.find(
        (i) => i.source === source && !i.typeOnly && !i.namespace && i.specifierNodes.length > 0,
      );
      const printed = (n: string) => (typeOnly(n) ? `type ${n}` : n);
      if (!info) {
        newStatements.push(`import { ${names.sort().map(printed).join(', ')} } from ${q(source)}${semi}`);
        return;
      }
      const container = bracesOf(file.text, info);
      const existing = info.specifiers.map((s) => s.imported);
      const sorted = existing.every(
        (n, i) => i === 0 || existing[i - 1]!.localeCompare(n, 'en', { sensitivity: 'base' }) <= 0,
      );
      for (const name of names.sort()) {
        const at = sorted
          ? existing.findIndex((n) => n.localeCompare(name, 'en', { sensitivity: 'base' }) > 0)
          : -1;
        splices.push(
          ...(at >= 0
            ? insertBefore(file.text, container, info.specifierNodes, at, printed(name))
            : appendToList(file.text, container, info.specifierNodes, printed(name), style.trailingCommas)),
        );
      }
    };
    addNamed(SQLITE_CORE, [...needs.core.keys()], (n) => needs.core.get(n) === true);
    if (needs.sql) addNamed(DRIZZLE_ORM, ['sql'], () => false);
    for (const [specifier, names] of needs.relative) addNamed(specifier, [...names], () => false);
    if (newStatements.length > 0) {
      const at = file.afterImports;
      const block = newStatements.join('\n');
      splices.push(
        at === 0
          ? {
              start: 0,
              end: 0,
              text: `${block}\n${file.text.startsWith('\n') || file.text === '' ? '' : '\n'}`,
            }
          : { start: at, end: at, text: `\n${block}` },
      );
    }
    return splices;
  }

  // ---- operations -----------------------------------------------------------------------------------------------------

  private addColumn(op: OperationOf<'add_column'>, before: SchemaModel, ctx: OperationContext): void {
    const table = findTable(before, op.table)!;
    const source = this.tableSource(table, ctx);
    const file = this.parsed(source.file);
    const needs = this.newNeeds();
    const print = this.contextFor(file, needs);
    const item = this.printColumnProperty(
      op.column,
      file,
      { name: table.name, localName: source.localName },
      needs,
      print,
      ctx,
      this.propertyIndent(file, source),
    );
    this.commit(
      file.path,
      appendToList(
        file.text,
        source.columnsObject,
        source.columnsObject.properties as never,
        item,
        file.style.trailingCommas,
      ),
      needs,
    );
    if (op.column.notNull && op.column.default === undefined && !op.column.primaryKey) {
      this.warnings.push(
        `"${op.table}"."${op.column.name}" is NOT NULL without a default: the migration fails if the table has rows (give a default, or fill it in a custom migration).`,
      );
    }
  }

  private propertyIndent(file: ParsedFile, source: SourceTable): string {
    const last = source.columnsObject.properties.at(-1) as { start: number } | undefined;
    return last ? indentAt(file.text, last.start) : file.style.indent;
  }

  /** `key: builder(...).mods()` without the list's indentation (appendToList adds it). */
  private printColumnProperty(
    spec: ColumnSpec,
    file: ParsedFile,
    table: { name: string; localName: string },
    needs: Needs,
    print: PrintContext,
    ctx: OperationContext,
    indent: string,
  ): string {
    const { builder, mods } = this.columnParts(spec, file, table, needs, print, ctx);
    return printProperty(spec.property!, builder, mods, indent, print, '').slice(indent.length);
  }

  private columnParts(
    spec: ColumnSpec,
    file: ParsedFile,
    table: { name: string; localName: string },
    needs: Needs,
    print: PrintContext,
    ctx: OperationContext,
  ): { builder: string; mods: string[] } {
    let reference: { table: string; property: string; self: boolean } | undefined;
    if (spec.references) {
      const self = spec.references.table === table.name;
      const target = findTable(this.model, spec.references.table)!;
      reference = {
        table: self ? table.localName : this.tableRef(file, target, needs, ctx),
        property: target.columns.find((c) => c.name === spec.references!.column)!.property,
        self,
      };
    }
    return {
      builder: printBuilder(spec, spec.property!, print),
      mods: printModifiers({ spec, property: spec.property!, ...(reference ? { reference } : {}) }, print),
    };
  }

  private dropColumn(op: OperationOf<'drop_column'>, before: SchemaModel, ctx: OperationContext): void {
    const table = findTable(before, op.table)!;
    const source = this.tableSource(table, ctx);
    const column = this.sourceColumn(table, source, op.column, ctx);
    const props = source.columnsObject.properties as never as Array<{ start: number; end: number }>;
    const index = props.findIndex((p) => p.start === column.prop.start);
    this.commit(source.file, [
      removeFromList(this.parsed(source.file).text, source.columnsObject, props, index),
    ]);
    const after = this.findSource(table)!;
    const left = [...this.files.values()].flatMap((file) => columnRefs(after, file, column.property));
    if (left.length > 0) {
      throw invalid(
        ctx,
        'COLUMN_STILL_USED',
        `"${op.table}"."${op.column}" is still used at ${left.map((r) => `${path.relative(this.input.root, r.file)}:${r.line}`).join(', ')}.`,
        'Remove those uses first (e.g. drop_index / drop_foreign_key in the same call, before this operation), or edit them by hand.',
      );
    }
  }

  private renameColumn(op: OperationOf<'rename_column'>, before: SchemaModel, ctx: OperationContext): void {
    const table = findTable(before, op.table)!;
    const source = this.tableSource(table, ctx);
    const column = this.sourceColumn(table, source, op.column, ctx);
    const file = this.parsed(source.file);
    const property = op.property!;
    const splices: Splice[] = [];
    if (column.nameArg) {
      const raw = file.text.slice(column.nameArg.start, column.nameArg.end);
      splices.push({
        start: column.nameArg.start,
        end: column.nameArg.end,
        text: quote(op.to, { ...file.style, quote: raw[0] === '"' ? '"' : "'" }),
      });
    } else if (!nameIsImplied(property, op.to, this.input.casing)) {
      const open = file.text.indexOf('(', (column.base.callee as unknown as { end: number }).end);
      splices.push({
        start: open + 1,
        end: open + 1,
        text: quote(op.to, file.style) + (column.base.arguments.length > 0 ? ', ' : ''),
      });
    }
    if (property !== column.property) {
      const key = column.prop.key as unknown as { start: number; end: number };
      splices.push({ start: key.start, end: key.end, text: printKey(property, file.style) });
    }
    this.commit(file.path, splices);
    if (op.to !== op.column)
      this.renames.push({ kind: 'column', table: op.table, from: op.column, to: op.to });
    if (property !== column.property) {
      this.renameColumnRefs(table, column.property, property);
      this.warnings.push(
        `The property ${table.exportName}.${column.property} is now ${table.exportName}.${property}: code outside the schema files that uses the old name must be updated.`,
      );
    }
  }

  private renameColumnRefs(table: ModelTable, from: string, to: string): void {
    for (const file of [...this.files.values()]) {
      const source = this.findSource(table)!;
      const refs = columnRefs(source, file, from);
      if (refs.length > 0)
        this.commit(
          file.path,
          refs.map((r) => ({ start: r.property.start, end: r.property.end, text: to })),
        );
    }
  }

  private renameTable(op: OperationOf<'rename_table'>, before: SchemaModel, ctx: OperationContext): void {
    const table = findTable(before, op.table)!;
    const source = this.tableSource(table, ctx);
    const file = this.parsed(source.file);
    if (source.nameArg.type !== 'StringLiteral') {
      throw invalid(
        ctx,
        'TABLE_NOT_EDITABLE',
        `the name of table "${op.table}" is not a string literal in ${path.relative(this.input.root, file.path)}.`,
        'Rename it by hand.',
      );
    }
    const raw = file.text.slice(source.nameArg.start, source.nameArg.end);
    this.commit(file.path, [
      {
        start: source.nameArg.start,
        end: source.nameArg.end,
        text: quote(op.to, { ...file.style, quote: raw[0] === '"' ? '"' : "'" }),
      },
    ]);
    if (op.to !== op.table) this.renames.push({ kind: 'table', from: op.table, to: op.to });
    const exportName = op.exportName!;
    if (exportName === table.exportName) return;
    if (source.localName !== source.exportName) {
      throw invalid(
        ctx,
        'EXPORT_NOT_EDITABLE',
        `"${table.exportName}" is exported with \`export { … }\`; edit_schema renames only \`export const\` tables.`,
        'Rename the export by hand, or leave exportName out.',
      );
    }
    for (const other of [...this.files.values()]) {
      const splices: Splice[] = [];
      let local = other.path === source.file ? table.exportName : undefined;
      for (const info of other.imports) {
        if (!info.source.startsWith('.') || this.resolveRelative(other.path, info.source) !== source.file)
          continue;
        info.specifiers.forEach((spec, i) => {
          if (spec.imported !== table.exportName) return;
          const node = info.specifierNodes[i]!;
          if (spec.local === spec.imported) {
            splices.push({ start: node.start, end: node.end, text: exportName });
            local = spec.local;
          } else {
            splices.push({ start: node.start, end: node.start + spec.imported.length, text: exportName });
          }
        });
      }
      for (const statement of other.statements) {
        if (statement.type !== 'ExportNamedDeclaration' || !statement.source) continue;
        if (this.resolveRelative(other.path, statement.source.value) !== source.file) continue;
        for (const spec of statement.specifiers) {
          if (spec.type !== 'ExportSpecifier' || spec.local.name !== table.exportName) continue;
          const node = spec as unknown as { start: number; end: number };
          const exported = spec.exported.type === 'Identifier' ? spec.exported.name : spec.exported.value;
          splices.push({
            start: node.start,
            end: node.end,
            text: exported === table.exportName ? exportName : `${exportName} as ${exported}`,
          });
        }
      }
      if (local !== undefined) {
        for (const ref of bindingRefs(other, local)) {
          splices.push({
            start: ref.node.start,
            end: ref.node.end,
            text: ref.shorthand ? `${local}: ${exportName}` : exportName,
          });
        }
      }
      if (splices.length > 0) this.commit(other.path, dedupe(splices));
    }
    this.warnings.push(
      `The export ${table.exportName} is now ${exportName}: code outside the schema files that imports it must be updated.`,
    );
  }

  private alterColumn(op: OperationOf<'alter_column'>, before: SchemaModel, ctx: OperationContext): void {
    const table = findTable(before, op.table)!;
    const column = table.columns.find((c) => c.name === op.column)!;
    const source = this.tableSource(table, ctx);
    const sourceColumn = this.sourceColumn(table, source, op.column, ctx);
    const file = this.parsed(source.file);
    const needs = this.newNeeds();
    const print = this.contextFor(file, needs);
    const splices: Splice[] = [];
    const next = nextColumnType(column, op);
    const sameType =
      next.type === column.sqlType &&
      next.mode === column.mode &&
      JSON.stringify(next.enum) === JSON.stringify(column.enumValues);
    if (!sameType) {
      const keepName = sourceColumn.nameArg
        ? file.text.slice(sourceColumn.nameArg.start, sourceColumn.nameArg.end)
        : '';
      let builder = printBuilder({ name: column.name, ...next }, column.property, print, keepName);
      if (!sourceColumn.nameArg) builder = builder.replace('(, ', '(');
      const base = sourceColumn.base;
      const calleeText = file.text.slice(
        (base.callee as unknown as { start: number }).start,
        (base.callee as unknown as { end: number }).end,
      );
      // The builder's own callee (an alias or namespace member) stays as written when the type is unchanged.
      if (next.type === column.sqlType) builder = calleeText + builder.slice(builder.indexOf('('));
      splices.push({ start: base.start, end: base.end, text: builder });
    }
    const appended: string[] = [];
    const chain = sourceColumn.chain;
    const find = (name: string) => chain.filter((c) => c.name === name);
    if (op.notNull === true && find('notNull').length === 0 && !find('primaryKey').length)
      appended.push('.notNull()');
    if (op.notNull === false) for (const call of find('notNull')) splices.push(removeSegment(call));
    if (op.default === null) for (const call of find('default')) splices.push(removeSegment(call));
    else if (op.default !== undefined) {
      const existing = find('default')[0];
      const value = printDefault(op.default, print);
      if (existing && existing.call.arguments.length > 0) {
        const args = existing.call.arguments as unknown as Array<{ start: number; end: number }>;
        splices.push({ start: args[0]!.start, end: args.at(-1)!.end, text: value });
      } else appended.push(`.default(${value})`);
    }
    if (appended.length > 0) splices.push(this.appendModifiers(file, sourceColumn, appended));
    this.commit(file.path, splices, needs);
  }

  /** Chained calls added at the end of a column's chain, on new lines when the chain already breaks. */
  private appendModifiers(file: ParsedFile, column: SourceColumn, mods: string[]): Splice {
    const last = column.chain.at(-1);
    const end = column.value.end;
    if (last) {
      const segment = file.text.slice(
        last.segmentStart,
        (last.call.callee as unknown as { property: { start: number } }).property.start,
      );
      if (segment.includes('\n')) {
        const indent = indentAt(
          file.text,
          (last.call.callee as unknown as { property: { start: number } }).property.start,
        );
        return { start: end, end, text: mods.map((m) => `\n${indent}${m}`).join('') };
      }
    }
    return { start: end, end, text: mods.join('') };
  }

  /** Adds an element to the table's third argument (creating it when the table has none). */
  private addExtra(
    tableName: string,
    before: SchemaModel,
    ctx: OperationContext,
    printElement: (param: string, print: PrintContext, needs: Needs, file: ParsedFile) => string,
    name: string,
  ): void {
    const table = findTable(before, tableName)!;
    const source = this.tableSource(table, ctx);
    const file = this.parsed(source.file);
    const needs = this.newNeeds();
    const print = this.contextFor(file, needs);
    const extra = source.extra;
    if (extra && !extra.param) {
      throw invalid(
        ctx,
        'TABLE_NOT_EDITABLE',
        `the third argument of "${tableName}" takes no parameter.`,
        'Add indexes to it by hand.',
      );
    }
    const param = extra?.param ?? file.style.extraParam;
    const element = printElement(param, print, needs, file);
    let splices: Splice[];
    if (!extra) {
      const at = source.columnsObject.end;
      const body =
        file.style.extraForm === 'object' ? `({ ${extraKeyFor(name)}: ${element} })` : `[${element}]`;
      splices = [{ start: at, end: at, text: `, (${param}) => ${body}` }];
    } else if (extra.kind === 'array') {
      splices = this.appendToArray(
        file,
        extra.container,
        extra.elements.map((e) => e.node),
        element,
        print.printWidth,
      );
    } else {
      const keys = new Set(extra.elements.map((e) => (e.prop ? keyName(e.prop) : undefined)));
      let key = extraKeyFor(name);
      for (let i = 2; keys.has(key); i++) key = `${extraKeyFor(name)}${i}`;
      const props = (extra.container as unknown as { properties: Array<{ start: number; end: number }> })
        .properties;
      splices = appendToList(
        file.text,
        extra.container,
        props,
        `${printKey(key, file.style)}: ${element}`,
        file.style.trailingCommas,
      );
    }
    this.commit(file.path, splices, needs);
  }

  /**
   * Appends to a `[a, b]` array; when that would push a one-line array past the print width, the array is laid out
   * one element per line, as prettier would (only that array's own text changes).
   */
  private appendToArray(
    file: ParsedFile,
    container: Pos,
    items: Pos[],
    element: string,
    printWidth: number,
  ): Splice[] {
    const { text, style } = file;
    const splices = appendToList(text, container, items, element, style.trailingCommas);
    if (items.length === 0 || isMultiline(text, container, items)) return splices;
    // Re-laying out would drop comments between elements: keep the one line then.
    if (/\/\/|\/\*/.test(text.slice(container.start, container.end))) return splices;
    const lineEndAt = text.indexOf('\n', container.end);
    const line = text.slice(lineStart(text, container.start), lineEndAt === -1 ? text.length : lineEndAt);
    if (line.length + element.length + 2 <= printWidth) return splices;
    const indent = indentAt(text, container.start);
    const inner = indent + style.indent;
    const elements = [...items.map((item) => text.slice(item.start, item.end)), element];
    const body = elements
      .map((e, i) => `${inner}${e}${i < elements.length - 1 || style.trailingCommas ? ',' : ''}`)
      .join('\n');
    return [{ start: container.start, end: container.end, text: `[\n${body}\n${indent}]` }];
  }

  private dropIndex(op: OperationOf<'drop_index'>, before: SchemaModel, ctx: OperationContext): void {
    const table = findTable(before, op.table)!;
    const source = this.tableSource(table, ctx);
    const file = this.parsed(source.file);
    const index = table.indexes.find((i) => i.name === op.name)!;
    const extra = source.extra;
    const element = extra?.elements.find(
      (e) =>
        (e.builder === 'index' || e.builder === 'uniqueIndex' || e.builder === 'unique') &&
        (e.name ?? (e.builder === 'unique' ? uniqueNameOf(table, e) : undefined)) === op.name,
    );
    if (element && extra) {
      this.commit(file.path, [this.removeExtraElement(file, extra, element)]);
      return;
    }
    // A column's own `.unique()` (named by drizzle `<table>_<column>_unique`, or by its argument).
    for (const column of source.columns) {
      const sqlName = table.columns.find((c) => c.property === column.property)?.name;
      for (const call of column.chain.filter((c) => c.name === 'unique')) {
        const arg = call.call.arguments[0];
        const name =
          arg?.type === 'StringLiteral'
            ? arg.value
            : sqlName
              ? columnUniqueName(table.name, sqlName)
              : undefined;
        if (name === op.name) {
          this.commit(file.path, [removeSegment(call)]);
          return;
        }
      }
    }
    throw invalid(
      ctx,
      'INDEX_NOT_EDITABLE',
      `index "${op.name}" (${index.columns.join(', ')}) of "${op.table}" is not written where edit_schema can find it (the table's third argument or a column's .unique()).`,
      'Remove it by hand.',
    );
  }

  private removeExtraElement(
    file: ParsedFile,
    extra: NonNullable<SourceTable['extra']>,
    element: NonNullable<SourceTable['extra']>['elements'][number],
  ): Splice {
    if (extra.kind === 'array') {
      const nodes = extra.elements.map((e) => e.node);
      return removeFromList(file.text, extra.container, nodes, nodes.indexOf(element.node));
    }
    const props = (extra.container as unknown as { properties: Array<{ start: number; end: number }> })
      .properties;
    return removeFromList(
      file.text,
      extra.container,
      props,
      props.findIndex((p) => p.start === element.prop!.start),
    );
  }

  private addForeignKey(
    op: OperationOf<'add_foreign_key'>,
    before: SchemaModel,
    ctx: OperationContext,
  ): void {
    const table = findTable(before, op.table)!;
    const target = findTable(before, op.references.table)!;
    const self = target.name === table.name;
    const targetProps = op.references.columns.map(
      (c) => target.columns.find((col) => col.name === c)!.property,
    );
    if (op.columns.length === 1 && !op.name) {
      const source = this.tableSource(table, ctx);
      const column = this.sourceColumn(table, source, op.columns[0]!, ctx);
      const file = this.parsed(source.file);
      const needs = this.newNeeds();
      const print = this.contextFor(file, needs);
      const ref = self ? source.localName : this.tableRef(file, target, needs, ctx);
      const text = `.references(${printReference({ table: ref, property: targetProps[0]!, self }, op, print)})`;
      this.commit(file.path, [this.appendModifiers(file, column, [text])], needs);
      return;
    }
    this.addExtra(
      op.table,
      before,
      ctx,
      (param, print, needs, file) => {
        const ref = self ? param : this.tableRef(file, target, needs, ctx);
        return printCompositeForeignKey(
          {
            name: op.name,
            columns: this.props(before, op.table, op.columns),
            foreignTable: ref,
            foreignColumns: targetProps,
            onDelete: op.onDelete,
            onUpdate: op.onUpdate,
          },
          param,
          print,
        );
      },
      op.name ?? `${op.table}_${op.columns.join('_')}_fk`,
    );
  }

  private dropForeignKey(
    op: OperationOf<'drop_foreign_key'>,
    before: SchemaModel,
    ctx: OperationContext,
  ): void {
    const table = findTable(before, op.table)!;
    const source = this.tableSource(table, ctx);
    const file = this.parsed(source.file);
    if (op.columns.length === 1) {
      const column = this.sourceColumn(table, source, op.columns[0]!, ctx);
      const call = column.chain.find((c) => c.name === 'references');
      if (call) {
        this.commit(file.path, [removeSegment(call)]);
        return;
      }
    }
    const props = this.props(before, op.table, op.columns);
    const element = source.extra?.elements.find(
      (e) => e.builder === 'foreignKey' && sameList(foreignKeyColumns(e), props),
    );
    if (element && source.extra) {
      this.commit(file.path, [this.removeExtraElement(file, source.extra, element)]);
      return;
    }
    throw invalid(
      ctx,
      'FK_NOT_EDITABLE',
      `the foreign key on "${op.table}"(${op.columns.join(', ')}) is not written where edit_schema can find it.`,
      'Remove it by hand.',
    );
  }

  private addTable(op: OperationOf<'add_table'>, ctx: OperationContext): void {
    const filePath = op.file!;
    const isNew = !this.files.has(filePath);
    if (isNew) {
      this.files.set(filePath, parseSchemaFile(filePath, ''));
      this.originals.set(filePath, undefined);
      // A new file must inherit the project's style, not the empty file's defaults.
      const style = this.styleForNewFile();
      this.files.get(filePath)!.style = { ...style };
    }
    const file = this.parsed(filePath);
    const needs = this.newNeeds();
    const print = this.contextFor(file, needs);
    const param = file.style.extraParam;
    const pending = { name: op.table, localName: op.exportName! };
    const columns = op.columns.map((spec): [string, string, string[]] => {
      const { builder, mods } = this.columnParts(spec, file, pending, needs, print, ctx);
      return [spec.property!, builder, mods];
    });
    const byName = (name: string) => op.columns.find((c) => c.name === name)!.property!;
    const extras: Array<{ key: string; text: string }> = [];
    if (op.primaryKey)
      extras.push({ key: 'pk', text: printCompositePrimaryKey(op.primaryKey.map(byName), param, print) });
    for (const index of op.indexes ?? []) {
      extras.push({
        key: extraKeyFor(index.name!),
        text: printIndex(
          { name: index.name!, unique: Boolean(index.unique), columns: index.columns.map(byName) },
          param,
          print,
        ),
      });
    }
    for (const fk of op.foreignKeys ?? []) {
      const self = fk.references.table === op.table;
      const target = self ? undefined : findTable(this.model, fk.references.table)!;
      const ref = self ? param : this.tableRef(file, target!, needs, ctx);
      const foreignColumns = self
        ? fk.references.columns.map(byName)
        : fk.references.columns.map((c) => target!.columns.find((col) => col.name === c)!.property);
      extras.push({
        key: extraKeyFor(fk.name ?? `${op.table}_${fk.columns.join('_')}_fk`),
        text: printCompositeForeignKey(
          {
            name: fk.name,
            columns: fk.columns.map(byName),
            foreignTable: ref,
            foreignColumns,
            onDelete: fk.onDelete,
            onUpdate: fk.onUpdate,
          },
          param,
          print,
        ),
      });
    }
    const text = printTable({ exportName: op.exportName!, name: op.table, columns, extras, param }, print);
    const lastTable = file.tables.at(-1);
    let splice: Splice;
    if (lastTable)
      splice = { start: lastTable.statement.end, end: lastTable.statement.end, text: `\n\n${text}` };
    else if (file.text === '') splice = { start: 0, end: 0, text: `${text}\n` };
    else {
      const end = file.text.length;
      splice = { start: end, end, text: `${file.text.endsWith('\n') ? '\n' : '\n\n'}${text}\n` };
    }
    this.commit(filePath, [splice], needs);
    if (isNew) this.addToBarrel(filePath);
  }

  /** A new schema file is re-exported by the barrel of its folder, if the schema has one. */
  private addToBarrel(filePath: string): void {
    for (const barrel of this.files.values()) {
      if (barrel.path === filePath || path.dirname(barrel.path) !== path.dirname(filePath)) continue;
      const reExports = barrel.statements.filter(
        (s) => s.type === 'ExportAllDeclaration' && s.source.value.startsWith('.'),
      );
      const last = reExports.at(-1);
      if (!last || last.type !== 'ExportAllDeclaration') continue;
      const sourceText = last.source.extra?.raw as string | undefined;
      const quoteChar = sourceText?.[0] === '"' ? '"' : "'";
      const specifier = this.relativeSpecifierLike(last.source.value, barrel, filePath);
      const semi = barrel.style.semicolons ? ';' : '';
      this.commit(barrel.path, [
        {
          start: last.end,
          end: last.end,
          text: `\nexport * from ${quote(specifier, { ...barrel.style, quote: quoteChar })}${semi}`,
        },
      ]);
      return;
    }
  }

  private relativeSpecifierLike(example: string, barrel: ParsedFile, target: string): string {
    const rel = `./${path.relative(path.dirname(barrel.path), target).split(path.sep).join('/')}`.replace(
      /\.[cm]?[jt]s$/,
      '',
    );
    return example.endsWith('.js') ? `${rel}.js` : example.endsWith('.ts') ? `${rel}.ts` : rel;
  }
}

function defaultIndexName(table: string, columns: string[], unique: boolean | undefined): string {
  return `${table}_${columns.join('_')}_${unique ? 'unique' : 'idx'}`;
}

function removeSegment(call: ChainCall): Splice {
  return { start: call.segmentStart, end: call.call.end, text: '' };
}

function dedupe(splices: Splice[]): Splice[] {
  const seen = new Set<string>();
  return splices.filter((s) => {
    const key = `${s.start}:${s.end}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function bracesOf(
  text: string,
  info: { node: { start: number; end: number }; specifierNodes: Array<{ start: number; end: number }> },
) {
  const start = text.lastIndexOf('{', info.specifierNodes[0]!.start);
  const end = text.indexOf('}', info.specifierNodes.at(-1)!.end) + 1;
  return { start, end };
}

function uniqueNameOf(table: ModelTable, element: { chain: ChainCall[] }): string | undefined {
  const on = element.chain.find((c) => c.name === 'on');
  if (!on) return undefined;
  const columns = on.call.arguments.map((arg) =>
    arg.type === 'MemberExpression' && arg.property.type === 'Identifier'
      ? (table.columns.find((c) => c.property === (arg.property as { name: string }).name)?.name ?? '?')
      : '?',
  );
  return `${table.name}_${columns.join('_')}_unique`;
}

function foreignKeyColumns(element: { base: { arguments: unknown[] } }): string[] {
  const config = element.base.arguments[0] as
    | {
        type: string;
        properties?: Array<{
          type: string;
          key?: { name?: string };
          value?: { type: string; elements?: Array<{ type: string; property?: { name?: string } }> };
        }>;
      }
    | undefined;
  const columns = config?.properties?.find((p) => p.type === 'ObjectProperty' && p.key?.name === 'columns');
  if (columns?.value?.type !== 'ArrayExpression') return [];
  return (columns.value.elements ?? []).map((e) =>
    e.type === 'MemberExpression' ? (e.property?.name ?? '?') : '?',
  );
}

function sameList(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
