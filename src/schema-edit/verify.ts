// After a real edit the tool reloads the schema through the kit worker; this says whether what loaded is exactly
// what was asked: the operations (as the engine resolved them) replayed on the model of the schema before the edit
// must give the model of the schema after it — every requested table, column, type, mode, default, index and
// foreign key there, and nothing else changed.
import type { LoadedSchema } from '../project/types.js';
import { cloneModel, modelOf, type SchemaModel } from './model.js';
import { applyToModel } from './model-ops.js';
import type { Operation } from './operations.js';

export type VerifyResult = { ok: true } | { ok: false; differences: string[] };

export function verifySchemaEdit(
  before: LoadedSchema,
  after: LoadedSchema,
  operations: Operation[],
): VerifyResult {
  const expected = cloneModel(modelOf(before));
  operations.forEach((op, index) => applyToModel(expected, op, { index }));
  const differences = compareModels(expected, modelOf(after));
  return differences.length === 0 ? { ok: true } : { ok: false, differences };
}

/** Differences as sentences ("expected …, loaded …"), keyed by SQL names; order of tables, columns and indexes is ignored. */
export function compareModels(expected: SchemaModel, actual: SchemaModel): string[] {
  const out: string[] = [];
  const byName = <T extends { name: string }>(items: T[]) => new Map(items.map((i) => [i.name, i]));
  const tablesA = byName(actual);
  for (const table of expected) {
    const got = tablesA.get(table.name);
    if (!got) {
      out.push(`table "${table.name}" is missing`);
      continue;
    }
    const where = `table "${table.name}"`;
    if (got.exportName !== table.exportName)
      out.push(`${where}: export is "${got.exportName}", expected "${table.exportName}"`);
    const colsA = byName(got.columns);
    for (const column of table.columns) {
      const c = colsA.get(column.name);
      if (!c) {
        out.push(`${where}: column "${column.name}" is missing`);
        continue;
      }
      for (const key of [
        'property',
        'sqlType',
        'mode',
        'enumValues',
        'notNull',
        'primaryKey',
        'autoIncrement',
        'default',
      ] as const) {
        const e = JSON.stringify(column[key]);
        const a = JSON.stringify(c[key]);
        if (e !== a)
          out.push(`${where}: column "${column.name}" ${key} is ${a ?? 'unset'}, expected ${e ?? 'unset'}`);
      }
    }
    for (const c of got.columns)
      if (!table.columns.some((e) => e.name === c.name)) out.push(`${where}: unexpected column "${c.name}"`);
    const idxA = byName(got.indexes);
    for (const index of table.indexes) {
      const i = idxA.get(index.name);
      if (!i) out.push(`${where}: index "${index.name}" is missing`);
      else if (JSON.stringify(i) !== JSON.stringify(index))
        out.push(
          `${where}: index "${index.name}" is ${JSON.stringify(i)}, expected ${JSON.stringify(index)}`,
        );
    }
    for (const i of got.indexes)
      if (!table.indexes.some((e) => e.name === i.name)) out.push(`${where}: unexpected index "${i.name}"`);
    const fkKey = (fk: {
      columns: string[];
      tableTo: string;
      columnsTo: string[];
      onDelete: string;
      onUpdate: string;
    }) =>
      `(${fk.columns.join(', ')}) → ${fk.tableTo}(${fk.columnsTo.join(', ')}) on delete ${fk.onDelete} on update ${fk.onUpdate}`;
    const fksE = table.foreignKeys.map(fkKey).sort();
    const fksA = got.foreignKeys.map(fkKey).sort();
    for (const fk of fksE) if (!fksA.includes(fk)) out.push(`${where}: foreign key ${fk} is missing`);
    for (const fk of fksA) if (!fksE.includes(fk)) out.push(`${where}: unexpected foreign key ${fk}`);
    if (JSON.stringify(table.primaryKey) !== JSON.stringify(got.primaryKey)) {
      out.push(
        `${where}: composite primary key is ${JSON.stringify(got.primaryKey) ?? 'unset'}, expected ${JSON.stringify(table.primaryKey) ?? 'unset'}`,
      );
    }
  }
  for (const t of actual)
    if (!expected.some((e) => e.name === t.name)) out.push(`unexpected table "${t.name}"`);
  return out;
}
