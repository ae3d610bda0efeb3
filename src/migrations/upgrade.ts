// Converting a drizzle-kit 0.x migrations folder (journal) to the 1.0 layout (a folder per migration) safely: what
// `drizzle-kit up` will do, predicted from the journal with its own rules (kit/cli.mjs planFoldersV3 in 1.0.0-rc.5), the
// proof that a converted copy changed nothing, and the swap of the real folder for the converted copy.
// Invariants: `up` only ever runs on a copy; the real folder is replaced only after the proof, by two renames whose
// interrupted middle is finished (or undone) by `finishInterruptedUpgrade` from an intent file written first; the
// 0.x folder is kept whole as the backup.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../core/errors.js';
import { syncFolder, writeFileDurably } from '../core/files.js';
import { compareSchemas, modelFromSnapshot } from './drift.js';
import { type MigrationFolder, readMigrationFolder, snapshotFileName } from './folder.js';
import { LOCK_FILE_NAME } from './write.js';
import { utcSecond } from './write-v1.js';

export interface UpgradeMove {
  /** The journal tag, e.g. `0002_users_role_default`. */
  tag: string;
  /** The folder `up` makes of it, e.g. `20261204211429_users_role_default`. */
  folder: string;
  /** sha256 of the `.sql` file: `migration.sql` must keep it (so every ledger row still matches). */
  hash: string;
}

export interface UpgradePlan {
  moves: UpgradeMove[];
}

/** Where an upgrade keeps its copy, and where the old folder goes. */
export interface UpgradePaths {
  outDir: string;
  /** The scratch folder beside `outDir` holding the copy (removed afterwards). */
  holder: string;
  /** The copy `up` converts, inside `holder`. */
  copy: string;
  /** The 0.x folder's new name after the swap, beside `outDir`. */
  backup: string;
  /** The intent file, beside `outDir`, present only while the swap is under way. */
  intent: string;
}

/**
 * Predicts `drizzle-kit up` and refuses what it would get wrong: an entry without its SQL or snapshot (up drops the
 * one and fails on the other), two entries in one second with the same name (up stops half-way), or entries whose
 * new names sort in another order than the journal (drizzle-orm 1.0 would then run them in the new order).
 */
export function planUpgrade(folder: MigrationFolder): UpgradePlan {
  const problems: string[] = [];
  const journal = folder.journal;
  if (!journal) throw new AppError('INTERNAL', 'planUpgrade needs a journal folder.');
  const byTag = new Map(folder.migrations.map((m) => [m.tag, m]));
  const moves: UpgradeMove[] = [];
  for (const entry of journal.entries) {
    const [, ...rest] = entry.tag.split('_');
    const name = `${utcSecond(entry.when)}_${rest.join('_')}`;
    const migration = byTag.get(entry.tag);
    if (!migration) {
      problems.push(
        `${entry.tag}.sql is missing: \`drizzle-kit up\` would drop this migration without a word.`,
      );
      continue;
    }
    if (!fs.existsSync(path.join(folder.outDir, 'meta', snapshotFileName(entry.tag)))) {
      problems.push(
        `meta/${snapshotFileName(entry.tag)} (the snapshot of ${entry.tag}) is missing: \`drizzle-kit up\` refuses to convert without it.`,
      );
    }
    moves.push({ tag: entry.tag, folder: name, hash: migration.hash });
  }
  const seen = new Map<string, string>();
  for (const move of moves) {
    const other = seen.get(move.folder);
    if (other)
      problems.push(
        `${other} and ${move.tag} would both become ${move.folder} (same second, same name): \`drizzle-kit up\` would stop half-way.`,
      );
    seen.set(move.folder, move.tag);
  }
  const sorted = [...moves].sort((a, b) => a.folder.localeCompare(b.folder));
  const reordered = sorted.findIndex((move, i) => move !== moves[i]);
  if (reordered !== -1) {
    problems.push(
      `After conversion drizzle-orm 1.0 would run ${sorted[reordered]!.folder} before ${moves[reordered]!.folder}, against the journal's order (their "when" fall in the same second). Give the later entry's "when" in meta/_journal.json a later second (and keep its ledger row's created_at in step) before converting.`,
    );
  }
  if (problems.length > 0) {
    throw new AppError(
      'MIGRATION_CONFLICT',
      `The migrations folder cannot be converted to drizzle-kit 1.0's layout as it is:\n- ${problems.join('\n- ')}\nNothing was changed.`,
      { hint: 'Fix each point (restore files from version control), then try again.' },
    );
  }
  return { moves };
}

export function upgradePaths(outDir: string, now: Date = new Date()): UpgradePaths {
  const parent = path.dirname(outDir);
  const base = path.basename(outDir);
  const holder = path.join(parent, `.${base}-upgrade-${randomBytes(6).toString('hex')}`);
  const stamp = now.toISOString().replace(/\D/g, '').slice(0, 14);
  return {
    outDir,
    holder,
    copy: path.join(holder, base),
    backup: path.join(parent, `${base}-0.x-backup-${stamp}`),
    intent: intentFile(outDir),
  };
}

function intentFile(outDir: string): string {
  return path.join(path.dirname(outDir), `.${path.basename(outDir)}-upgrade.json`);
}

/** Copies the 0.x folder for `up`, leaving out files of ours that no Drizzle tool reads (the lock file). */
export function copyForUpgrade(paths: UpgradePaths): void {
  fs.mkdirSync(paths.holder, { recursive: true });
  fs.cpSync(paths.outDir, paths.copy, {
    recursive: true,
    filter: (source) => path.basename(source) !== LOCK_FILE_NAME,
  });
}

/**
 * What differs between the 0.x folder and its converted copy, in sentences (empty: nothing). Checks that every
 * journal entry became its planned folder with `migration.sql` byte for byte the old file (same hash, so every
 * ledger row still matches), that no other migration appeared, and that the last snapshot describes the same schema.
 */
export function conversionDifferences(
  original: MigrationFolder,
  converted: MigrationFolder,
  plan: UpgradePlan,
): string[] {
  const out: string[] = [];
  const names = converted.migrations.map((m) => m.tag);
  const planned = plan.moves.map((move) => move.folder);
  if (names.join('\n') !== planned.join('\n'))
    out.push(`the converted folders are ${names.join(', ') || 'none'}; expected ${planned.join(', ')}`);
  for (const move of plan.moves) {
    const migration = converted.migrations.find((m) => m.tag === move.folder);
    if (migration && migration.hash !== move.hash)
      out.push(`${move.folder}/migration.sql is not byte for byte ${move.tag}.sql`);
  }
  for (const finding of converted.findings.filter((f) => f.severity === 'error'))
    out.push(`${finding.code}: ${finding.message}`);
  if (!original.latestSnapshot || !converted.latestSnapshot) {
    if (original.latestSnapshot || converted.latestSnapshot)
      out.push('the last snapshot is missing on one side');
    return out;
  }
  const report = compareSchemas(
    modelFromSnapshot(original.latestSnapshot),
    modelFromSnapshot(converted.latestSnapshot),
    {
      expected: 'the 0.x snapshot',
      actual: 'the converted snapshot',
      missing: 'missing_in_migrations',
      extra: 'extra_in_migrations',
      compared: 'last snapshots',
    },
  );
  for (const table of report.tables) out.push(...table.differences);
  if (converted.latestSnapshot.id !== original.latestSnapshot.id)
    out.push(
      `the last snapshot's id changed (${original.latestSnapshot.id} → ${converted.latestSnapshot.id})`,
    );
  return out;
}

/**
 * Replaces the 0.x folder by the converted copy: intent file, rename the old folder to the backup name, rename the
 * copy into place, remove the intent. A crash in between is finished by finishInterruptedUpgrade (tests stand in
 * for that crash with `afterMoveAside`).
 */
export function swapInConverted(paths: UpgradePaths, hooks: { afterMoveAside?: () => void } = {}): void {
  writeFileDurably(
    paths.intent,
    JSON.stringify({ backup: paths.backup, converted: paths.copy, holder: paths.holder }),
  );
  try {
    fs.renameSync(paths.outDir, paths.backup);
  } catch (error) {
    fs.rmSync(paths.intent, { force: true });
    throw new AppError(
      'CONFIG_ERROR',
      `Could not move ${paths.outDir} aside: ${(error as Error).message}. Nothing was changed.`,
      {
        hint: 'Check that the project folder is writable and nothing holds the migrations folder open.',
        cause: error,
      },
    );
  }
  hooks.afterMoveAside?.();
  fs.renameSync(paths.copy, paths.outDir);
  syncFolder(path.dirname(paths.outDir));
  fs.rmSync(paths.intent, { force: true });
  fs.rmSync(paths.holder, { recursive: true, force: true });
}

/**
 * Finishes an upgrade interrupted between its two renames: the converted copy goes into place (or, if it is gone,
 * the backup goes back). Returns what it did, or undefined when no upgrade was under way.
 */
export function finishInterruptedUpgrade(outDir: string): string | undefined {
  const intent = intentFile(outDir);
  let recorded: { backup?: string; converted?: string; holder?: string };
  try {
    recorded = JSON.parse(fs.readFileSync(intent, 'utf8')) as typeof recorded;
  } catch {
    return undefined;
  }
  let did = 'nothing was left to do';
  if (!fs.existsSync(outDir)) {
    if (recorded.converted && fs.existsSync(recorded.converted)) {
      fs.renameSync(recorded.converted, outDir);
      did = `the converted folder was moved into place (the 0.x folder is kept as ${recorded.backup})`;
    } else if (recorded.backup && fs.existsSync(recorded.backup)) {
      fs.renameSync(recorded.backup, outDir);
      did = 'the 0.x folder was moved back';
    }
  }
  if (recorded.holder) fs.rmSync(recorded.holder, { recursive: true, force: true });
  fs.rmSync(intent, { force: true });
  return `An interrupted conversion of ${outDir} to drizzle-kit 1.0's layout was finished: ${did}.`;
}

/** The converted copy as a folder (for the proof), read like any other. */
export function readConverted(paths: UpgradePaths): MigrationFolder {
  return readMigrationFolder(paths.copy);
}
