// The messages between KitClient (main thread) and the kit worker. Plain structured-clone data only.
import type { WireError } from '../core/errors.js';
import type { DiffInput } from './diff.js';
import type { LoadProjectConfigInput } from './load-project.js';
import type { SerialisedSnapshot } from './snapshot-text.js';
import type { KitRef } from './kit-resolve.js';
import type {
  AppliedRename,
  DiffResult,
  MigrationHint,
  MissingHint,
  ProjectConfig,
  SqliteSnapshot,
} from './types.js';

export interface GenerateInput {
  project: ProjectConfig;
  /** The snapshot to diff from; the schema's new snapshot gets its id as prevId. */
  prev: SqliteSnapshot;
  hints?: MigrationHint[];
  /** The drizzle-kit 0.x that diffs (the project's); ours when absent. */
  kit?: KitRef;
}

/** drizzle-kit 1.x `generate` into `out` (a scratch copy of the migrations folder: the caller moves the result). */
export interface GenerateV1Input {
  project: ProjectConfig;
  kit: KitRef;
  out: string;
  /** Already sanitised to a file-name part. */
  name?: string;
  hints?: MigrationHint[];
  custom?: boolean;
}

/** drizzle-kit 1.x's `generate` answer in our vocabulary. */
export type GenerateV1Result =
  | { status: 'ok'; folder: string }
  | { status: 'no_changes' }
  | { status: 'missing_hints'; missingHints: MissingHint[] }
  | { status: 'error'; code: string; message: string; hint?: string; details?: Record<string, unknown> };

/** drizzle-kit 1.x's `check` / `up` answer in our vocabulary. */
export type KitV1Result =
  | { status: 'ok'; upgraded?: string[] }
  | { status: 'error'; code: string; message: string; hint?: string; details?: Record<string, unknown> };

export type KitRequest =
  | { id: number; method: 'loadProjectConfig'; params: LoadProjectConfigInput }
  | { id: number; method: 'loadSchema'; params: { project: ProjectConfig; prevId?: string; kit?: KitRef } }
  | { id: number; method: 'diff'; params: DiffInput }
  | { id: number; method: 'generate'; params: GenerateInput }
  | { id: number; method: 'generateV1'; params: GenerateV1Input }
  | { id: number; method: 'checkV1'; params: { kit: KitRef; out: string } }
  | { id: number; method: 'upV1'; params: { kit: KitRef; out: string } };

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
