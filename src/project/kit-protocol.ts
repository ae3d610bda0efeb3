// The messages between KitClient (main thread) and the kit worker. Plain structured-clone data only.
import type { WireError } from '../core/errors.js';
import type { DiffInput } from './diff.js';
import type { LoadProjectConfigInput } from './load-project.js';
import type { SerialisedSnapshot } from './snapshot-text.js';
import type { AppliedRename, DiffResult, MigrationHint, ProjectConfig, SqliteSnapshot } from './types.js';

export interface GenerateInput {
  project: ProjectConfig;
  /** The snapshot to diff from; the schema's new snapshot gets its id as prevId. */
  prev: SqliteSnapshot;
  hints?: MigrationHint[];
}

export type KitRequest =
  | { id: number; method: 'loadProjectConfig'; params: LoadProjectConfigInput }
  | { id: number; method: 'loadSchema'; params: { project: ProjectConfig; prevId?: string } }
  | { id: number; method: 'diff'; params: DiffInput }
  | { id: number; method: 'generate'; params: GenerateInput };

/** A diff as `generate` answers it: the new snapshot already serialised for writing (one string to copy). */
export type GeneratedDiff =
  | { status: 'ok'; statements: string[]; snapshot: SerialisedSnapshot; renames: AppliedRename[] }
  | { status: 'no_changes' }
  | Extract<DiffResult, { status: 'missing_hints' | 'error' }>;

/** `generate` answers a schema that does not load as a result, so the caller can tell it from a failing diff. */
export type GenerateWireResult = { loaded: true; diff: GeneratedDiff } | { loaded: false; error: WireError };

export type KitResponse =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: WireError }
  /** `generate` has loaded the schema and starts diffing: from now on the call is a `diff` (timeout, messages). */
  | { id: number; phase: 'diff' };
