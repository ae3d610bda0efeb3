// The typed row tools work on a table of the project's Drizzle schema, rebuilt with what the live database says
// about its columns (defaults SQLite fills in, generated columns no one may write).
import { AppError } from '../core/errors.js';
import { resolveTable, TableModel, type LiveColumn } from '../query/drizzle-rows.js';
import { liveColumns } from '../sqlite/introspect.js';
import type { Services } from './services.js';

/** The named table (Drizzle export name or SQL name) of the project's schema, rebuilt for the typed row tools. */
export async function loadTableModel(
  services: Pick<Services, 'loadSchema' | 'read'>,
  name: string,
): Promise<TableModel> {
  const loaded = await services.loadSchema();
  if (!loaded) {
    throw new AppError(
      'CONFIG_ERROR',
      'This project configures no Drizzle schema file, so there are no typed tables.',
      {
        hint: 'Use run_query and execute_sql, or set `schema` in drizzle.config.ts.',
      },
    );
  }
  const table = resolveTable(loaded.tables, name);
  const live = new Map<string, LiveColumn>();
  for (const column of liveColumns(services.read, table.name))
    live.set(column.name, {
      defaultSql: column.defaultSql,
      // hidden 2/3: generated (virtual/stored) columns.
      generated: column.hidden === 2 || column.hidden === 3,
    });
  return new TableModel(table, live);
}
