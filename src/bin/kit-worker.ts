// The kit worker thread: the only place user code (drizzle.config.ts, schema files) and drizzle-kit run. It is
// started by KitClient with its stdout/stderr piped to the parent, so nothing it prints reaches fd 1, and a
// `process.exit` inside drizzle-kit or a schema ends this thread only. One request at a time; answers are plain data.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parentPort } from 'node:worker_threads';
import { toAppError, toWireError, type WireError } from '../core/errors.js';
import { diffSnapshots } from '../project/diff.js';
import { checkV1, generateV1, upV1 } from '../project/kit-v1.js';
import { loadProjectConfig, loadSchema, loadSchemaSnapshot } from '../project/load-project.js';
import { serialiseSnapshot } from '../project/snapshot-text.js';
import type { GeneratedDiff, GenerateWireResult, KitRequest, KitResponse } from '../project/kit-protocol.js';
import type { SqliteSnapshot } from '../project/types.js';

// Stack traces through code that ships a source map (a package the schema imports) name the original files. The
// schema bundle itself carries none: when its import throws, import-module.ts maps the user's frame on demand.
process.setSourceMapsEnabled(true);

const context = { fallbackResolveDir: path.dirname(fileURLToPath(import.meta.url)) };

async function handle(request: KitRequest): Promise<unknown> {
  switch (request.method) {
    case 'loadProjectConfig':
      return loadProjectConfig(request.params, context);
    case 'loadSchema':
      return loadSchema(request.params.project, request.params.prevId, context, request.params.kit);
    case 'diff':
      return diffSnapshots(request.params);
    case 'generate': {
      // loadSchema and diff in one round trip: the new snapshot never crosses to the main thread and back.
      const { project, prev, hints, kit } = request.params;
      let cur: SqliteSnapshot;
      try {
        cur = await loadSchemaSnapshot(project, prev.id, context, kit);
      } catch (error) {
        return { loaded: false, error: wireError(error) } satisfies GenerateWireResult;
      }
      port.postMessage({ id: request.id, phase: 'diff' } satisfies KitResponse);
      const diff = await diffSnapshots({ prev, cur, ...(hints ? { hints } : {}), ...(kit ? { kit } : {}) });
      const generated: GeneratedDiff =
        diff.status === 'ok'
          ? { ...diff, snapshot: serialiseSnapshot(diff.snapshot) }
          : diff.status === 'no_changes'
            ? { status: 'no_changes' }
            : diff;
      return { loaded: true, diff: generated } satisfies GenerateWireResult;
    }
    case 'generateV1':
      return generateV1(request.params, context);
    case 'checkV1':
      return checkV1(request.params.kit, request.params.out);
    case 'upV1':
      return upV1(request.params.kit, request.params.out);
  }
}

function wireError(error: unknown): WireError {
  const appError = toAppError(error);
  const internalDetail =
    appError.code === 'INTERNAL' && error instanceof Error ? (error.stack ?? error.message) : undefined;
  return toWireError(appError, internalDetail);
}

if (!parentPort) throw new Error('kit-worker must run as a worker thread (started by KitClient).');
const port = parentPort;
port.on('message', (request: KitRequest) => {
  handle(request).then(
    (result) => port.postMessage({ id: request.id, ok: true, result } satisfies KitResponse),
    (error: unknown) =>
      port.postMessage({ id: request.id, ok: false, error: wireError(error) } satisfies KitResponse),
  );
});
