// Where this session's audit log goes, decided before anything is written and settled after the start-up
// migration: the name comes from src/guard/server-tables.ts (chooseAuditTable), the project's declarations from its
// migrations folder, what the file holds from the file. A table the project declares with our columns (the
// embedded default) is ours only once its own migration has created it; until then — or if that migration
// failed — the log goes under a name the project does not declare, so we never create the project's table.
import { hasAuditColumns } from '../audit/audit-log.js';
import { existingTableClaims, moveAuditTable } from '../audit/audit-table.js';
import { chooseAuditTable, type AuditTableChoice, type AuditTableInput } from '../guard/server-tables.js';
import type { DeclaredTable } from '../migrations/declared-tables.js';
import type { SqliteDatabase } from '../sqlite/connection.js';

export interface AuditTablePlan {
  /** The name to use while the start-up migration runs (our table already moved out of the project's way). */
  first: AuditTableChoice;
  /** The name once the start-up migration has run (or did not): `first`, unless its table was never created. */
  settle(db: SqliteDatabase): AuditTableChoice;
}

export function planAuditTable(input: {
  requested: string | undefined;
  /** The project's declarations, when the audit log lives in the project database (else none). */
  declared: readonly DeclaredTable[];
  /** The tables the audit database holds now (empty for a file not created yet). */
  existing: AuditTableInput['existing'];
  /** The start-up migration may run (a writable database, migrate on start not turned off). */
  startupMayMigrate: boolean;
}): AuditTablePlan {
  const base: AuditTableInput = {
    ...(input.requested !== undefined ? { requested: input.requested } : {}),
    declared: input.declared.map((table) => ({
      name: table.name,
      auditShape: hasAuditColumns(table.columns),
    })),
    existing: input.existing,
  };
  const first = chooseAuditTable({ ...base, declaredCreatedFirst: input.startupMayMigrate });
  return {
    first,
    settle(db) {
      if (first.reason !== 'declared' || existingTableClaims(db).some((claim) => claim.name === first.table))
        return first;
      return chooseAuditTable({ ...base, existing: existingTableClaims(db), declaredCreatedFirst: false });
    },
  };
}

/** Renames our table out of the project's way when the plan says so (before the project's migration needs it). */
export function applyAuditTableMove(db: SqliteDatabase, choice: AuditTableChoice): void {
  if (choice.moveFrom !== undefined) moveAuditTable(db, choice.moveFrom, choice.table);
}
