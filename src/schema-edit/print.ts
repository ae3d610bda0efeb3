// New code in the file's own style: quotes, indentation, semicolons, trailing commas, chains broken the way
// prettier breaks them when a line would pass the print width. Every user-supplied string is printed as a
// literal (escaped for its quote, or for a template literal), never spliced in as code.
import { toCamelCase, toSnakeCase } from 'drizzle-orm/casing';
import { isSqlDefault, sqlDefaultText } from './model.js';
import type { ColumnSpec, DefaultValue } from './operations.js';
import type { FileStyle } from './source.js';

export type Casing = 'snake_case' | 'camelCase' | undefined;

/** What the printer needs from the file it prints into; the names it asks for are imported by the engine. */
export interface PrintContext {
  style: FileStyle;
  casing: Casing;
  printWidth: number;
  /** The local name of a `drizzle-orm/sqlite-core` export (`text`, or `s.text` with a namespace import). */
  core(name: string, typeOnly?: boolean): string;
  /** The local name of `sql` from `drizzle-orm`. */
  sql(): string;
}

export function quote(value: string, style: FileStyle): string {
  const q = style.quote;
  const escaped = value
    .replaceAll('\\', '\\\\')
    .replaceAll(q, `\\${q}`)
    .replaceAll('\n', '\\n')
    .replaceAll('\r', '\\r')
    .replaceAll('\u2028', '\\u2028')
    .replaceAll('\u2029', '\\u2029');
  return `${q}${escaped}${q}`;
}

function templateText(value: string): string {
  return value.replaceAll('\\', '\\\\').replaceAll('`', '\\`').replaceAll('${', '\\${');
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

export function printKey(key: string, style: FileStyle): string {
  return IDENTIFIER.test(key) ? key : quote(key, style);
}

export function printLiteral(value: unknown, style: FileStyle): string {
  if (typeof value === 'string') return quote(value, style);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === null) return 'null';
  if (Array.isArray(value)) return `[${value.map((v) => printLiteral(v, style)).join(', ')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0) return '{}';
    return `{ ${entries.map(([k, v]) => `${printKey(k, style)}: ${printLiteral(v, style)}`).join(', ')} }`;
  }
  throw new Error(`cannot print ${typeof value}`);
}

export function printDefault(value: DefaultValue, ctx: PrintContext): string {
  if (isSqlDefault(value)) return `${ctx.sql()}\`${templateText(sqlDefaultText(value.sql))}\``;
  return printLiteral(value, ctx.style);
}

/** Whether drizzle would derive `name` from the property by itself (so the builder needs no name argument). */
export function nameIsImplied(property: string, name: string, casing: Casing): boolean {
  if (casing === 'snake_case') return toSnakeCase(property) === name;
  if (casing === 'camelCase') return toCamelCase(property) === name;
  return property === name;
}

/** The property a new column gets when the caller names none: the file's convention. */
export function propertyFor(name: string, style: FileStyle, casing: Casing): string {
  if (casing === 'snake_case' || style.camelProperties) return toCamelCase(name) || name;
  return name;
}

export interface ColumnPrintInput {
  spec: ColumnSpec;
  property: string;
  /** `() => users.id` target, already resolved to identifiers in scope (`users`, `id`). */
  reference?: { table: string; property: string; self: boolean };
}

/** The builder call with its options: `integer('is_active', { mode: 'boolean' })`. */
export function printBuilder(
  spec: Pick<ColumnSpec, 'name' | 'type' | 'mode' | 'enum'>,
  property: string,
  ctx: PrintContext,
  keepName?: string,
): string {
  const args: string[] = [];
  const omitName =
    keepName === undefined &&
    nameIsImplied(property, spec.name, ctx.casing) &&
    (ctx.casing !== undefined || ctx.style.omitsColumnNames);
  if (keepName !== undefined) args.push(keepName);
  else if (!omitName) args.push(quote(spec.name, ctx.style));
  const options: string[] = [];
  if (spec.enum) options.push(`enum: ${printLiteral(spec.enum, ctx.style)}`);
  if (spec.mode) options.push(`mode: ${quote(spec.mode, ctx.style)}`);
  if (options.length > 0) args.push(`{ ${options.join(', ')} }`);
  return `${ctx.core(spec.type)}(${args.join(', ')})`;
}

/** The chained modifiers of a new column, each as `.name(args)`. */
export function printModifiers(input: ColumnPrintInput, ctx: PrintContext): string[] {
  const { spec, reference } = input;
  const calls: string[] = [];
  if (spec.primaryKey)
    calls.push(spec.autoIncrement ? '.primaryKey({ autoIncrement: true })' : '.primaryKey()');
  if (spec.notNull && !spec.primaryKey) calls.push('.notNull()');
  if (spec.unique) calls.push('.unique()');
  if (spec.default !== undefined) calls.push(`.default(${printDefault(spec.default, ctx)})`);
  if (spec.references && reference) {
    calls.push(`.references(${printReference(reference, spec.references, ctx)})`);
  }
  return calls;
}

export function printReference(
  target: { table: string; property: string; self: boolean },
  actions: { onDelete?: string | undefined; onUpdate?: string | undefined },
  ctx: PrintContext,
): string {
  // A self-reference needs an explicit return type, or TypeScript reports the table as circularly typed.
  const thunk = target.self
    ? `(): ${ctx.core('AnySQLiteColumn', true)} => ${target.table}.${target.property}`
    : `() => ${target.table}.${target.property}`;
  const options: string[] = [];
  if (actions.onDelete) options.push(`onDelete: ${quote(actions.onDelete, ctx.style)}`);
  if (actions.onUpdate) options.push(`onUpdate: ${quote(actions.onUpdate, ctx.style)}`);
  return options.length > 0 ? `${thunk}, { ${options.join(', ')} }` : thunk;
}

/**
 * `prop: builder(...).a().b()` at `indent`, on one line when it fits the print width, else with each chained call
 * on its own line one level deeper (prettier's member-chain break).
 */
export function printProperty(
  key: string,
  builder: string,
  modifiers: string[],
  indent: string,
  ctx: PrintContext,
  terminator: string,
): string {
  const head = `${printKey(key, ctx.style)}: ${builder}`;
  const oneLine = `${indent}${head}${modifiers.join('')}${terminator}`;
  if (oneLine.length <= ctx.printWidth || modifiers.length < 2) return oneLine;
  const deeper = indent + ctx.style.indent;
  return `${indent}${head}${modifiers.map((m) => `\n${deeper}${m}`).join('')}${terminator}`;
}

export function printIndex(
  index: { name: string; unique: boolean; columns: string[] },
  param: string,
  ctx: PrintContext,
): string {
  const builder = ctx.core(index.unique ? 'uniqueIndex' : 'index');
  return `${builder}(${quote(index.name, ctx.style)}).on(${index.columns.map((c) => `${param}.${c}`).join(', ')})`;
}

export function printCompositeForeignKey(
  fk: {
    name?: string | undefined;
    columns: string[];
    foreignTable: string;
    foreignColumns: string[];
    onDelete?: string | undefined;
    onUpdate?: string | undefined;
  },
  param: string,
  ctx: PrintContext,
): string {
  const parts: string[] = [];
  if (fk.name) parts.push(`name: ${quote(fk.name, ctx.style)}`);
  parts.push(`columns: [${fk.columns.map((c) => `${param}.${c}`).join(', ')}]`);
  parts.push(`foreignColumns: [${fk.foreignColumns.map((c) => `${fk.foreignTable}.${c}`).join(', ')}]`);
  let text = `${ctx.core('foreignKey')}({ ${parts.join(', ')} })`;
  if (fk.onDelete) text += `.onDelete(${quote(fk.onDelete, ctx.style)})`;
  if (fk.onUpdate) text += `.onUpdate(${quote(fk.onUpdate, ctx.style)})`;
  return text;
}

export function printCompositePrimaryKey(columns: string[], param: string, ctx: PrintContext): string {
  return `${ctx.core('primaryKey')}({ columns: [${columns.map((c) => `${param}.${c}`).join(', ')}] })`;
}

/** The key an element gets in the third argument's older object form. */
export function extraKeyFor(name: string): string {
  return toCamelCase(name) || 'constraint';
}

export interface TablePrintInput {
  exportName: string;
  name: string;
  /** Each column already printed as `key: builder...` without indentation or terminator: [key, builder, modifiers]. */
  columns: Array<[string, string, string[]]>;
  /** Third-argument elements (already printed, using `param`), with their keys for the object form. */
  extras: Array<{ key: string; text: string }>;
  param: string;
}

export function printTable(input: TablePrintInput, ctx: PrintContext): string {
  const { style } = ctx;
  const i1 = style.indent;
  const comma = style.trailingCommas ? ',' : '';
  const semi = style.semicolons ? ';' : '';
  const call = ctx.core('sqliteTable');
  const start = `export const ${input.exportName} = ${call}(`;
  const props = (indent: string) =>
    input.columns
      .map(([key, builder, mods], i) =>
        printProperty(key, builder, mods, indent, ctx, i < input.columns.length - 1 ? ',' : comma),
      )
      .join('\n');
  if (input.extras.length === 0) {
    return `${start}${quote(input.name, style)}, {\n${props(i1)}\n})${semi}`;
  }
  const i2 = i1 + i1;
  let extra: string;
  if (style.extraForm === 'object') {
    const entries = input.extras.map(
      (e, i) => `${i2}${printKey(e.key, style)}: ${e.text}${i < input.extras.length - 1 ? ',' : comma}`,
    );
    extra = `(${input.param}) => ({\n${entries.join('\n')}\n${i1}})`;
  } else {
    const oneLine = `${i1}(${input.param}) => [${input.extras.map((e) => e.text).join(', ')}],`;
    extra =
      oneLine.length <= ctx.printWidth
        ? `(${input.param}) => [${input.extras.map((e) => e.text).join(', ')}]`
        : `(${input.param}) => [\n${input.extras
            .map((e, i) => `${i2}${e.text}${i < input.extras.length - 1 ? ',' : comma}`)
            .join('\n')}\n${i1}]`;
  }
  return `${start}\n${i1}${quote(input.name, style)},\n${i1}{\n${props(i2)}\n${i1}},\n${i1}${extra}${comma}\n)${semi}`;
}
