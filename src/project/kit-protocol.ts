// The messages between KitClient (main thread) and the kit worker. Plain structured-clone data only.
import type { ErrorCode } from '../errors.js';
import type { DiffInput } from './diff.js';
import type { LoadProjectConfigInput } from './load-project.js';
import type { ProjectConfig } from './types.js';

export type KitRequest =
  | { id: number; method: 'loadProjectConfig'; params: LoadProjectConfigInput }
  | { id: number; method: 'loadSchema'; params: { project: ProjectConfig; prevId?: string } }
  | { id: number; method: 'diff'; params: DiffInput };

export type KitResponse =
  | { id: number; ok: true; result: unknown }
  | {
      id: number;
      ok: false;
      error: {
        code: ErrorCode;
        message: string;
        hint: string | undefined;
        details: Record<string, unknown> | undefined;
        /** For INTERNAL errors only: the original stack, for the server's stderr log (never shown to the model). */
        internalDetail: string | undefined;
      };
    };
