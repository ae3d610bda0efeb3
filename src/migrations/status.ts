// Joins the migrations folder with the database's ledger. Invariant: this is the only place that decides what
// "applied" means, and it decides it the way the project's drizzle-orm migrator will behave, so every trap of the
// stock migrator (a skipped merged migration, an edited applied file, a ledger row 1.0 cannot upgrade) shows up here
// before anything runs.
//
// Journal layout (drizzle-orm 0.x), matching in this order:
//   1. a ledger row matches the first not-yet-matched journal entry with the same hash (the file is unchanged);
//   2. a ledger row left over matches the not-yet-matched entry whose `when` equals its `created_at` — that entry
//      was applied and its file edited since: `modified`;
//   3. a ledger row still left over is `missing`: the database ran a migration the folder no longer has.
// An unmatched entry is `skipped` when its `when` is not later than the newest `created_at` (the stock migrator
// only runs entries newer than that, so it would never run this one), and `pending` otherwise.
//
// Folder layout (drizzle-orm 1.0): a row's `name` is the migration folder it recorded; a migration whose name no row
// has is `pending` (1.0 runs it even when newer ones ran before it, so nothing is ever `skipped`); a name whose hash
// differs is `modified` (1.0 never compares hashes; we do, and block the apply). Rows without a name (a 0.x ledger that
// drizzle-orm 1.0 has not upgraded yet) are given the name 1.0's upgrade would give them (ledger-shape.ts); a row that
// upgrade cannot place, or a name with no folder, is `missing`.
import type { FolderFinding, FolderMigration, MigrationFolder } from './folder.js';
import { findingsBlocking, isFolderLayout } from './folder.js';
import type { LedgerRow } from './ledger.js';
import { type LedgerEntry, planLedgerUpgrade } from './ledger-shape.js';

export type MigrationState = 'applied' | 'pending' | 'modified' | 'skipped' | 'missing';

export interface MigrationStatusEntry {
  state: MigrationState;
  /** Absent for `missing` rows (the ledger stores no tag). */
  tag?: string;
  idx?: number;
  /** The journal's `when` (for `missing`: the ledger's `created_at`). */
  when: number;
  /** The file's hash now (for `missing`: the ledger's hash). */
  hash: string;
  /** For applied/modified/missing: what the ledger recorded. */
  appliedHash?: string;
  appliedCreatedAt?: number;
  /** One sentence for a model: what this state means and what to do. */
  note?: string;
}

export interface MigrationStatus {
  entries: MigrationStatusEntry[];
  /** Pending migrations in the order they will be applied. */
  pending: FolderMigration[];
  counts: Record<MigrationState, number>;
  /** Newest `created_at` in the ledger, if any row. */
  lastAppliedAt: number | undefined;
  /** True when nothing is modified, skipped or missing and no folder finding blocks applying. */
  consistent: boolean;
  /** Folder findings plus the ledger-vs-folder problems, each with what to do. */
  findings: FolderFinding[];
  problems: string[];
}

export function computeMigrationStatus(
  folder: MigrationFolder,
  ledger: readonly LedgerRow[],
): MigrationStatus {
  const { entries, pending, problems } = isFolderLayout(folder)
    ? byName(folder.migrations, ledger)
    : byJournal(folder.migrations, ledger);
  return summarise(folder, ledger, entries, pending, problems);
}

interface Joined {
  entries: MigrationStatusEntry[];
  pending: FolderMigration[];
  problems: string[];
}

function lastCreatedAt(ledger: readonly LedgerRow[]): number | undefined {
  const createdAts = ledger.map((row) => row.createdAt).filter((value) => Number.isFinite(value));
  return createdAts.length > 0 ? Math.max(...createdAts) : undefined;
}

function byJournal(migrations: readonly FolderMigration[], ledger: readonly LedgerRow[]): Joined {
  const matched = new Map<number, LedgerRow>();
  const leftover: LedgerRow[] = [];
  for (const row of ledger) {
    const index = migrations.findIndex((migration, i) => !matched.has(i) && migration.hash === row.hash);
    if (index === -1) leftover.push(row);
    else matched.set(index, row);
  }
  const missingRows: LedgerRow[] = [];
  for (const row of leftover) {
    const index = migrations.findIndex((migration, i) => !matched.has(i) && migration.when === row.createdAt);
    if (index === -1) missingRows.push(row);
    else matched.set(index, row);
  }
  const lastAppliedAt = lastCreatedAt(ledger);

  const entries: MigrationStatusEntry[] = [];
  const pending: FolderMigration[] = [];
  const problems: string[] = [];
  migrations.forEach((migration, i) => {
    const row = matched.get(i);
    const base = { tag: migration.tag, idx: migration.idx, when: migration.when, hash: migration.hash };
    if (row && row.hash === migration.hash) {
      const entry: MigrationStatusEntry = {
        state: 'applied',
        ...base,
        appliedHash: row.hash,
        appliedCreatedAt: row.createdAt,
      };
      if (row.createdAt !== migration.when) {
        entry.note = `Applied, but the ledger records created_at=${row.createdAt} while the journal says when=${migration.when}; drizzle-orm's migrate() compares these numbers, so keep the journal's "when" as it was applied.`;
      }
      entries.push(entry);
    } else if (row) {
      entries.push({
        state: 'modified',
        ...base,
        appliedHash: row.hash,
        appliedCreatedAt: row.createdAt,
        note: `${migration.tag}.sql was changed after it was applied (hash ${short(row.hash)} then, ${short(migration.hash)} now). Restore the applied version from version control and put further changes in a new migration.`,
      });
      problems.push(`"${migration.tag}" is modified: the file changed after it was applied.`);
    } else if (lastAppliedAt !== undefined && migration.when <= lastAppliedAt) {
      entries.push({
        state: 'skipped',
        ...base,
        note: `Not applied, yet older (when=${migration.when}) than the newest applied migration (created_at=${lastAppliedAt}): drizzle-orm's migrate() would skip it forever. Regenerate it as a new migration after the applied ones (delete this file, its snapshot and journal entry, then generate again).`,
      });
      problems.push(
        `"${migration.tag}" is skipped: it is older than the newest applied migration but was never applied.`,
      );
    } else {
      entries.push({ state: 'pending', ...base });
      pending.push(migration);
    }
  });
  for (const row of missingRows) {
    const duplicate = ledger.some((other) => other !== row && other.hash === row.hash);
    entries.push({
      state: 'missing',
      when: row.createdAt,
      hash: row.hash,
      appliedHash: row.hash,
      appliedCreatedAt: row.createdAt,
      note: duplicate
        ? `The ledger records the same migration (hash ${short(row.hash)}) more than once; remove the extra row from the ledger after checking the schema is right.`
        : `The database applied a migration (created_at=${row.createdAt}, hash ${short(row.hash)}) that is not in the migrations folder. Restore its file and journal entry from version control before applying anything else.`,
    });
    problems.push(
      `A ledger row (created_at=${row.createdAt}, hash ${short(row.hash)}) has no migration file.`,
    );
  }
  return { entries, pending, problems };
}

function byName(migrations: readonly FolderMigration[], ledger: readonly LedgerRow[]): Joined {
  const rowsByName = new Map<string, LedgerRow[]>();
  const addRow = (name: string, row: LedgerRow) =>
    rowsByName.set(name, [...(rowsByName.get(name) ?? []), row]);
  for (const row of ledger) if (typeof row.name === 'string') addRow(row.name, row);
  // A 0.x ledger (no name column): the names drizzle-orm 1.0's in-place upgrade would give its rows.
  const unnamed = ledger.filter((row) => row.name === undefined);
  const plan = planLedgerUpgrade(
    unnamed.map((row): LedgerEntry => ({
      rowid: row.rowid,
      id: row.id ?? null,
      hash: row.hash,
      createdAt: Number.isFinite(row.createdAt) ? row.createdAt : null,
      name: null,
      appliedAt: null,
    })),
    migrations.map((m) => ({ name: m.tag, createdAt: m.when, hash: m.hash })),
  );
  const byTimeAlone = new Set<LedgerRow>();
  for (const match of plan.matches) {
    const row = unnamed.find((candidate) => candidate.rowid === match.rowid)!;
    addRow(match.name, row);
    if (match.by === 'millis') byTimeAlone.add(row);
  }
  const lastAppliedAt = lastCreatedAt(ledger);
  const entries: MigrationStatusEntry[] = [];
  const pending: FolderMigration[] = [];
  const problems: string[] = [];
  const known = new Set(migrations.map((m) => m.tag));
  for (const migration of migrations) {
    const rows = rowsByName.get(migration.tag) ?? [];
    const base = { tag: migration.tag, idx: migration.idx, when: migration.when, hash: migration.hash };
    const same = rows.find((row) => row.hash === migration.hash);
    const row = same ?? rows[0];
    if (!row) {
      const entry: MigrationStatusEntry = { state: 'pending', ...base };
      if (lastAppliedAt !== undefined && migration.when < lastAppliedAt)
        entry.note = `Older than migrations already applied (e.g. merged from another branch): drizzle-orm 1.0 applies it anyway, by name, and so does apply_migrations.`;
      entries.push(entry);
      pending.push(migration);
    } else if (same) {
      entries.push({ state: 'applied', ...base, appliedHash: row.hash, appliedCreatedAt: row.createdAt });
    } else {
      const adopted = byTimeAlone.has(row)
        ? ' drizzle-orm 1.0 upgrades a 0.x ledger row by its time alone, so it would take this row as applying the file as it is now.'
        : '';
      entries.push({
        state: 'modified',
        ...base,
        appliedHash: row.hash,
        appliedCreatedAt: row.createdAt,
        note: `${migration.tag}/migration.sql was changed after it was applied (hash ${short(row.hash)} then, ${short(migration.hash)} now).${adopted} Restore the applied version from version control and put further changes in a new migration.`,
      });
      problems.push(`"${migration.tag}" is modified: the file changed after it was applied.`);
    }
  }
  for (const [name, rows] of rowsByName) {
    if (known.has(name)) continue;
    for (const row of rows) {
      entries.push({
        state: 'missing',
        tag: name,
        when: row.createdAt,
        hash: row.hash,
        appliedHash: row.hash,
        appliedCreatedAt: row.createdAt,
        note: `The database applied "${name}" (hash ${short(row.hash)}), but the migrations folder has no such folder. Restore it from version control before applying anything else (drizzle-orm 1.0 would ignore it and carry on).`,
      });
      problems.push(`The ledger records "${name}", which has no migration folder.`);
    }
  }
  // A row with a NULL name in a 1.0 ledger (written by a 0.x migrator after the upgrade): drizzle-orm 1.0 ignores it.
  for (const row of ledger.filter((candidate) => candidate.name === null)) {
    entries.push({
      state: 'missing',
      when: row.createdAt,
      hash: row.hash,
      appliedHash: row.hash,
      appliedCreatedAt: row.createdAt,
      note: `A ledger row (created_at=${row.createdAt}, hash ${short(row.hash)}) has no name, so drizzle-orm 1.0 does not count it as applied and would run its migration again. Set its "name" to the migration folder it applied (after checking the schema has that change), then try again.`,
    });
    problems.push(`A ledger row (created_at=${row.createdAt}, hash ${short(row.hash)}) has no name.`);
  }
  for (const row of plan.unmatched) {
    entries.push({
      state: 'missing',
      when: Number(row.createdAt),
      hash: row.hash,
      appliedHash: row.hash,
      appliedCreatedAt: Number(row.createdAt),
      note: `A 0.x ledger row (created_at=${String(row.createdAt)}, hash ${short(row.hash)}) matches no migration folder by time or hash, so drizzle-orm 1.0's migrate() throws on it and runs nothing. Restore the migration it recorded (its folder, as \`drizzle-kit up\` named it) before applying anything else.`,
    });
    problems.push(
      `A ledger row (created_at=${String(row.createdAt)}, hash ${short(row.hash)}) has no migration folder.`,
    );
  }
  return { entries, pending, problems };
}

function summarise(
  folder: MigrationFolder,
  ledger: readonly LedgerRow[],
  entries: MigrationStatusEntry[],
  pending: FolderMigration[],
  problems: string[],
): MigrationStatus {
  const lastAppliedAt = lastCreatedAt(ledger);
  entries.sort((a, b) => a.when - b.when || (a.idx ?? Infinity) - (b.idx ?? Infinity));

  const findings = [...folder.findings];
  const blocking = findingsBlocking(findings, 'apply');
  for (const finding of blocking) problems.push(`${finding.code}: ${finding.message}`);
  const counts: Record<MigrationState, number> = {
    applied: 0,
    pending: 0,
    modified: 0,
    skipped: 0,
    missing: 0,
  };
  for (const entry of entries) counts[entry.state] += 1;
  return {
    entries,
    pending,
    counts,
    lastAppliedAt,
    consistent:
      counts.modified === 0 && counts.skipped === 0 && counts.missing === 0 && blocking.length === 0,
    findings,
    problems,
  };
}

function short(hash: string): string {
  return hash.slice(0, 12);
}
