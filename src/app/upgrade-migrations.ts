// A safe `drizzle-kit up`, without MCP: convert a 0.x migrations folder to drizzle-kit 1.0's layout with the project's
// own drizzle-kit 1.x, on a copy, and replace the real folder only when the conversion provably changed nothing —
// the same SQL per migration, the same final schema, and a generate right after it with nothing to write. When the
// proof fails the answer is the exact difference and what the user can do; snapshots are never rewritten to make a
// proof pass. The database is not touched (its ledger is upgraded by the next apply, as drizzle-orm 1.0 would).
import fs from 'node:fs';
import path from 'node:path';
import { AppError, isAppError } from '../core/errors.js';
import { type MigrationFolder, readMigrationFolder, assertFolderReady } from '../migrations/folder.js';
import { snapshotTables } from '../project/snapshot-v7.js';
import {
  conversionDifferences,
  copyForUpgrade,
  finishInterruptedUpgrade,
  planUpgrade,
  readConverted,
  swapInConverted,
  upgradePaths,
  type UpgradePaths,
} from '../migrations/upgrade.js';
import { LOCK_FILE_NAME, withFolderLock } from '../migrations/write.js';
import type { KitClient } from '../project/kit-client.js';
import { SUGGESTED_KIT_1X, type KitRef } from '../project/kit-resolve.js';
import type { LoadedSchema, MigrationHint } from '../project/types.js';
import type { CallContext } from './call-context.js';
import { generateNextMigration, type GenerateOutcome, type GenerateServices } from './generate-migration.js';
import type { DrizzleSetup } from './services.js';

/** strict: convert only when nothing would change; with_rebuild: also accept what drizzle-kit 1.x generates next. */
export type UpgradeMode = 'strict' | 'with_rebuild';

export interface UpgradeServices extends GenerateServices {
  kit: Pick<KitClient, 'upV1' | 'generateV1' | 'generate'>;
  loadSchema(): Promise<LoadedSchema | undefined>;
}

export interface UpgradeOutcome {
  /** Where the 0.x folder now is. */
  backup: string;
  /** Each journal migration and the folder it became. */
  migrations: Array<{ from: string; to: string }>;
  /** with_rebuild, when drizzle-kit 1.x had changes right after converting: the migration it wrote for them. */
  generated?: GenerateOutcome;
  notes: string[];
}

const NOTHING_CHANGED = 'Nothing was changed.';

export async function upgradeMigrationsFolder(
  context: Pick<CallContext<UpgradeServices>, 'services' | 'signal' | 'setTarget' | 'addAuditDetails'>,
  input: { mode: UpgradeMode; hints?: MigrationHint[] | undefined; name?: string | undefined },
): Promise<UpgradeOutcome> {
  const { services } = context;
  const { project } = services;
  const notes: string[] = [];
  const finished = finishInterruptedUpgrade(project.outDir);
  if (finished) notes.push(finished);
  const kit = requireKit1(services.drizzle());
  let accepted: string | undefined;
  const result = await withFolderLock(project.outDir, undefined, async () => {
    const folder = readMigrationFolder(project.outDir);
    assertConvertible(folder);
    assertFolderReady(folder, 'generate');
    const plan = planUpgrade(folder);
    const paths = upgradePaths(project.outDir);
    try {
      copyForUpgrade(paths);
      if (context.signal.aborted)
        throw new AppError('CANCELLED', `The conversion was cancelled. ${NOTHING_CHANGED}`);
      const converted = await services.kit.upV1(kit, paths.copy);
      if (converted.status === 'error') {
        throw new AppError('MIGRATION_CONFLICT', `${converted.message} ${NOTHING_CHANGED}`, {
          ...(converted.hint ? { hint: converted.hint } : {}),
        });
      }
      const differences = conversionDifferences(folder, readConverted(paths), plan);
      if (differences.length > 0) {
        throw new AppError(
          'MIGRATION_CONFLICT',
          `drizzle-kit ${kit.version} up did not convert the folder faithfully, so it was not replaced:\n- ${differences.join('\n- ')}\n${NOTHING_CHANGED}`,
          { hint: 'Report this with the folder; convert by hand only after checking each difference.' },
        );
      }
      accepted = await generateAfterConversion(services, kit, paths, folder, input);
      if (context.signal.aborted)
        throw new AppError('CANCELLED', `The conversion was cancelled. ${NOTHING_CHANGED}`);
      swapInConverted(paths);
      return { plan, backup: paths.backup };
    } finally {
      fs.rmSync(paths.holder, { recursive: true, force: true });
    }
  });
  const { backup } = result;
  // Our lock file travelled with the old folder into the backup.
  fs.rmSync(path.join(backup, LOCK_FILE_NAME), { force: true });
  const migrations = result.plan.moves.map((move) => ({ from: move.tag, to: move.folder }));
  context.setTarget('migrations', path.basename(project.outDir));
  context.addAuditDetails({
    upgrade: { mode: input.mode, backup, migrations, ...(accepted ? { acceptedRebuild: true } : {}) },
  });
  notes.push(
    `The 0.x folder is kept as ${backup}: delete it once the new folder is committed.`,
    "The database's migrations ledger is upgraded to drizzle-orm 1.0's columns by the next apply_migrations (or by drizzle-orm 1.0's own migrate()); until then drizzle-orm 0.x still reads it.",
    'Tools that read flat .sql files (e.g. `wrangler d1 migrations apply`) do not read the new nested folders.',
  );
  if (accepted === undefined) return { backup, migrations, notes };
  // The rebuild the human accepted, generated for real now that the folder is in the 1.0 layout.
  const generated = await generateNextMigration(context, {
    name: input.name ?? 'after_upgrade',
    hints: input.hints,
    custom: false,
  });
  return { backup, migrations, generated, notes };
}

function requireKit1(setup: DrizzleSetup): KitRef {
  const { choice } = setup;
  if (choice.refusal)
    throw new AppError('CONFIG_ERROR', choice.refusal.message, { hint: choice.refusal.hint });
  if (choice.kit.line !== '1.x') {
    throw new AppError(
      'CONFIG_ERROR',
      `Converting to drizzle-kit 1.0's layout needs drizzle-kit 1.x in the project; it has ${setup.found.kit ? `drizzle-kit ${setup.found.kit.version}` : 'none'}.`,
      {
        hint: `Install drizzle-kit 1.x and drizzle-orm 1.x in the project first (e.g. \`npm i drizzle-orm@${SUGGESTED_KIT_1X} && npm i -D drizzle-kit@${SUGGESTED_KIT_1X}\`), then convert.`,
      },
    );
  }
  return choice.kit;
}

function assertConvertible(folder: MigrationFolder): void {
  if (folder.layout === 'journal' && folder.journal) return;
  const why: Record<MigrationFolder['layout'], string> = {
    absent:
      'there is no migrations folder yet: the first generate_migration with drizzle-kit 1.x writes the 1.0 layout',
    empty:
      'the migrations folder has no migrations: the first generate_migration with drizzle-kit 1.x writes the 1.0 layout',
    folders: "the migrations folder is already in drizzle-kit 1.0's layout",
    mixed:
      'the folder has both a journal and 1.0 migration folders (an interrupted `drizzle-kit up`): restore it from version control first',
    journal: 'its journal cannot be read (see migration_status)',
  };
  throw new AppError('INVALID_ARGUMENT', `Nothing to convert: ${why[folder.layout]}.`, {
    hint: 'Call migration_status to see the folder and what to do.',
  });
}

/**
 * Proof (c): drizzle-kit 1.x `generate` on a throw-away copy of the converted folder. Nothing to write: undefined.
 * Changes: refused in strict mode with the SQL and what to do; in with_rebuild mode accepted (their SQL returned).
 */
async function generateAfterConversion(
  services: UpgradeServices,
  kit: KitRef,
  paths: UpgradePaths,
  before: MigrationFolder,
  input: { mode: UpgradeMode; hints?: MigrationHint[] | undefined },
): Promise<string | undefined> {
  const check = path.join(paths.holder, 'check', path.basename(paths.copy));
  fs.cpSync(paths.copy, check, { recursive: true });
  let answer;
  try {
    answer = await services.kit.generateV1({
      project: services.project,
      kit,
      out: check,
      name: 'after_upgrade',
      ...(input.hints?.length ? { hints: input.hints } : {}),
    });
  } catch (error) {
    if (isAppError(error))
      throw new AppError(
        error.code,
        `${error.message} ${NOTHING_CHANGED}`,
        error.hint ? { hint: error.hint } : {},
      );
    throw error;
  }
  switch (answer.status) {
    case 'no_changes':
      return undefined;
    case 'error':
      throw new AppError(
        'MIGRATION_CONFLICT',
        `${answer.message} ${NOTHING_CHANGED}`,
        answer.hint ? { hint: answer.hint } : {},
      );
    case 'missing_hints': {
      const asked = answer.missingHints.map((hint) => hint.entity.slice(1).join('.')).join(', ');
      const casing = services.project.casing
        ? ` drizzle.config sets casing: "${services.project.casing}", which drizzle-kit 1.x ignores: it sees the columns under their property names, so it asks whether they were renamed. Declare the casing in the schema (drizzle-orm 1.x's casing helpers for sqliteTable) so the names stay as they are.`
        : '';
      throw new AppError(
        'MIGRATION_CONFLICT',
        `After conversion drizzle-kit ${kit.version} would not generate without asking whether these were renamed: ${asked}.${casing} ${NOTHING_CHANGED}`,
        {
          hint: 'Make the schema name them as the database does, then convert again; or pass hints (they are used for this check and for the migration written with upgrade: "with_rebuild").',
          details: { missingHints: answer.missingHints },
        },
      );
    }
    case 'ok':
      break;
  }
  const sql = fs.readFileSync(path.join(check, answer.folder, 'migration.sql'), 'utf8');
  if (input.mode === 'with_rebuild') return sql;
  const suggestions = await uniqueIndexEdits(sql, before, services);
  throw new AppError(
    'MIGRATION_CONFLICT',
    [
      `Refusing to convert: right after \`drizzle-kit up\`, drizzle-kit ${kit.version} would generate this migration although the schema did not change:`,
      sql,
      suggestions.length
        ? "Why: drizzle-kit 0.x recorded each `.unique()` as a unique index, drizzle-kit 1.0 models it as an inline UNIQUE constraint and rebuilds the table to turn one into the other. Applied by drizzle-orm's own migrate(), that rebuild deletes every row of the tables that reference it with ON DELETE CASCADE."
        : 'drizzle-kit 1.0 models this schema differently from the snapshots drizzle-kit 0.x wrote.',
      NOTHING_CHANGED,
    ].join('\n'),
    {
      hint: [
        suggestions.length
          ? `Either make drizzle-kit 1.0 model the schema as the database has it, then convert again: ${suggestions.join(' ')}`
          : 'Either change the schema so drizzle-kit 1.0 generates nothing after conversion, then convert again.',
        'Or accept the rebuild: generate_migration with upgrade: "with_rebuild" converts the folder and writes this migration as the next one; apply it with apply_migrations, which keeps the child rows (drizzle-orm\'s migrate() does not).',
      ].join(' '),
    },
  );
}

/** For each unique index 0.x made of a `.unique()` and 1.0 drops: the exact schema edit that keeps it. */
async function uniqueIndexEdits(
  sql: string,
  before: MigrationFolder,
  services: Pick<UpgradeServices, 'loadSchema' | 'project'>,
): Promise<string[]> {
  const dropped = [...sql.matchAll(/DROP INDEX IF EXISTS [`"]([^`"]+)[`"]/g)].map((match) => match[1]!);
  if (dropped.length === 0) return [];
  const schema = await services.loadSchema().catch(() => undefined);
  const edits: string[] = [];
  for (const table of snapshotTables(before.latestSnapshot)) {
    for (const index of Object.values(table.indexes)) {
      if (!dropped.includes(index.name) || !index.isUnique || index.columns.length !== 1) continue;
      const column = index.columns[0]!;
      if (index.name !== `${table.name}_${column}_unique`) continue;
      const described = schema?.tables.find((t) => t.name === table.name);
      const property = described?.columns.find((c) => c.name === column)?.property ?? column;
      edits.push(
        `in table ${table.name}${described ? ` (export \`${described.exportName}\`)` : ''}, remove \`.unique()\` from \`${property}\` and add \`uniqueIndex('${index.name}').on(t.${property})\` to the table's third argument (\`(t) => [...]\`; import uniqueIndex from 'drizzle-orm/sqlite-core').`,
      );
    }
  }
  return edits;
}
