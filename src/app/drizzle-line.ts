// Which Drizzle line a project is on, as a user needs to hear it: the drizzle-kit / drizzle-orm it installed, the one
// this server runs for it, the folder layout and the ledger shape — and what to do when they do not fit together
// (1.0 installed over a 0.x folder, a 1.0 folder without drizzle-kit 1.0, branches in a 1.0 folder). Also the one
// place that decides which generator a `generate_migration` call uses.
import type { Database } from 'better-sqlite3';
import { isFolderLayout, type MigrationFolder } from '../migrations/folder.js';
import { detectLedgerShape, type LedgerShape } from '../migrations/ledger-shape.js';
import type { KitClient } from '../project/kit-client.js';
import { type KitRef, lineOf, SUGGESTED_KIT_1X } from '../project/kit-resolve.js';
import type { ProjectConfig } from '../project/types.js';
import type { DrizzleSetup } from './services.js';

export interface DrizzleReport {
  /** The project's drizzle-kit, e.g. "1.0.0-rc.5", or "none". */
  kit: string;
  /** The project's drizzle-orm, or "none". */
  orm: string;
  /** The drizzle-kit this server runs to generate, and whose it is. */
  generatesWith: string;
  layout: 'none yet' | '0.x journal' | '1.0 folders' | 'both (refused)';
  ledger: 'absent' | '0.x' | '1.0 (upgraded from 0.x)' | '1.0' | 'not a drizzle ledger';
  /** What does not fit, and what to do about it. */
  notes?: string[];
}

export interface BranchReport {
  /** The migration folders each branch ends in. */
  leaves: string[];
  /** drizzle-kit's conflicts between them, when it found any. */
  conflicts?: string[];
  advice: string;
}

export type GeneratorChoice =
  | { kind: 'journal'; kit: KitRef }
  | { kind: 'folders'; kit: KitRef }
  | { kind: 'refused'; message: string; hint: string };

const LAYOUT: Record<MigrationFolder['layout'], DrizzleReport['layout']> = {
  absent: 'none yet',
  empty: 'none yet',
  journal: '0.x journal',
  folders: '1.0 folders',
  mixed: 'both (refused)',
};

const LEDGER: Record<LedgerShape, DrizzleReport['ledger']> = {
  absent: 'absent',
  v0: '0.x',
  'v1-upgraded': '1.0 (upgraded from 0.x)',
  v1: '1.0',
  foreign: 'not a drizzle ledger',
};

/** Which generator runs: drizzle-kit 0.x writing the journal, or drizzle-kit 1.x writing folders — or why neither. */
export function chooseGenerator(
  setup: DrizzleSetup,
  folder: Pick<MigrationFolder, 'layout'>,
): GeneratorChoice {
  const { choice } = setup;
  if (choice.refusal) return { kind: 'refused', ...choice.refusal };
  const { kit } = choice;
  if (kit.line === '1.x') {
    if (folder.layout === 'journal') {
      return {
        kind: 'refused',
        message: `The project has drizzle-kit ${kit.version}, but its migrations folder is still in drizzle-kit 0.x's journal layout, which drizzle-kit 1.x refuses to generate into.`,
        hint: 'Convert the folder with generate_migration upgrade: "strict" (a checked `drizzle-kit up` that keeps the old folder), or go back to drizzle-kit 0.x.',
      };
    }
    return { kind: 'folders', kit };
  }
  if (isFolderLayout(folder)) {
    return {
      kind: 'refused',
      message: `The migrations folder is in drizzle-kit 1.0's layout (a folder per migration), but the project has ${setup.found.kit ? `drizzle-kit ${setup.found.kit.version}` : 'no drizzle-kit'}; only drizzle-kit 1.x writes that layout.`,
      hint: `Install drizzle-kit 1.x in the project (with the matching drizzle-orm), e.g. \`npm i -D drizzle-kit@${SUGGESTED_KIT_1X} && npm i drizzle-orm@${SUGGESTED_KIT_1X}\`.`,
    };
  }
  return { kind: 'journal', kit };
}

export function describeDrizzle(
  setup: DrizzleSetup,
  folder: Pick<MigrationFolder, 'layout'>,
  db: Database,
  project: Pick<ProjectConfig, 'migrationsTable' | 'casing'>,
): DrizzleReport {
  const { found, choice } = setup;
  const notes: string[] = [];
  if (choice.note) notes.push(choice.note);
  const generator = chooseGenerator(setup, folder);
  if (generator.kind === 'refused') notes.push(`${generator.message} ${generator.hint}`);
  if (found.orm && found.kit && lineOf(found.orm.version) !== lineOf(found.kit.version) && !choice.refusal)
    notes.push(
      `drizzle-kit ${found.kit.version} and drizzle-orm ${found.orm.version} are of different lines; keep them on the same one.`,
    );
  if (choice.kit.line === '1.x' && project.casing) {
    notes.push(
      `drizzle.config sets casing: "${project.casing}", which drizzle-kit 1.x ignores when it generates: declare it in the schema instead (e.g. sqliteTable built with the casing helper of drizzle-orm 1.x), or the next migration renames columns.`,
    );
  }
  return {
    kit: found.kit?.version ?? 'none',
    orm: found.orm?.version ?? 'none',
    generatesWith: `${choice.kit.source === 'project' ? "the project's" : "this server's own"} drizzle-kit ${choice.kit.version}`,
    layout: LAYOUT[folder.layout],
    ledger: LEDGER[detectLedgerShape(db, project.migrationsTable).shape],
    ...(notes.length ? { notes } : {}),
  };
}

/**
 * Branches in a 1.0 folder: the leaves, and — when the project has drizzle-kit 1.x — whether drizzle-kit finds them
 * conflicting (it refuses to generate then). Undefined when there is at most one leaf.
 */
export async function describeBranches(
  folder: MigrationFolder,
  setup: DrizzleSetup,
  kit: Pick<KitClient, 'checkV1'>,
): Promise<BranchReport | undefined> {
  if (!isFolderLayout(folder) || folder.leaves.length < 2) return undefined;
  const leaves = folder.leaves.map((id) => folder.migrations.find((m) => m.snapshotId === id)?.tag ?? id);
  const order = [...folder.migrations].filter((m) => leaves.includes(m.tag)).map((m) => m.tag);
  let conflicts: string[] | undefined;
  if (setup.choice.kit.line === '1.x' && !setup.choice.refusal) {
    const checked = await kit.checkV1(setup.choice.kit, folder.outDir).catch(() => undefined);
    if (checked?.status === 'error' && checked.code === 'conflicts')
      conflicts = (checked.details?.conflicts as string[] | undefined) ?? [checked.message];
  }
  const advice = conflicts
    ? `These branches change the same thing, so drizzle-kit will not generate until one is gone. If ${leaves.at(-1)} was applied nowhere, delete its folder and generate that change again on top of the other branch (there is no --fix-conflicts for SQLite). Applying still runs both, in folder order (${order.join(', ')}): check the dry run.`
    : `Both branches are here. Applying runs all of them, by name in folder order (${order.join(', ')}), as drizzle-orm 1.0 does. Nothing else to do: drizzle-kit joins the branches with a merge migration the next time the schema changes.`;
  return { leaves, ...(conflicts ? { conflicts } : {}), advice };
}
