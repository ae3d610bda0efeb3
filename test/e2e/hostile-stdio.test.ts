// The server keeps answering (issue 11 class 10), seen by a client on real pipes: a request larger than the
// transport's buffer is answered with an error carrying its id, and the next call is answered and audited.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { copyEmbeddedProject, removeDir } from '../helpers/project.js';
import { initialize, nonJsonRpcLines, spawnServer } from '../helpers/stdio.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let project: string;
beforeEach(() => {
  project = copyEmbeddedProject();
});
afterEach(() => removeDir(project));

const MIB = 1024 * 1024;

describe('requests larger than the transport reads', () => {
  for (const [label, bytes, idFirst] of [
    ['9 MiB (over our limit, under the SDK’s)', 9 * MIB, true],
    ['12 MiB (over the SDK’s 10 MiB)', 12 * MIB, false],
    ['40 MiB', 40 * MIB, true],
  ] as const) {
    it(`answers a ${label} request with an error and keeps serving`, async () => {
      const server = spawnServer(['--project', project]);
      try {
        await initialize(server);
        const id = 4242;
        const params = { name: 'run_query', arguments: { sql: `SELECT '${'a'.repeat(bytes)}'` } };
        const line = idFirst
          ? JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params })
          : JSON.stringify({ method: 'tools/call', params, jsonrpc: '2.0', id });
        const answer = await server.sendRaw(line, id);
        expect(answer).toMatchObject({ id, error: { code: -32600 } });
        expect((answer.error as Json).message).toContain(`${line.length} bytes`);

        const next = (
          await server.request('tools/call', { name: 'run_query', arguments: { sql: 'SELECT 1 AS one' } })
        ).result as Json;
        expect(next.isError).toBeFalsy();
        const audit = (
          await server.request('tools/call', {
            name: 'read_audit_log',
            arguments: { limit: 1, verify: true },
          })
        ).result as Json;
        expect(audit.structuredContent.rows[0]).toMatchObject({ tool: 'run_query', outcome: 'ok' });
        expect(audit.structuredContent.chain.ok).toBe(true);
        expect(nonJsonRpcLines(server.stdout())).toEqual([]);
      } finally {
        await server.exited();
      }
    });
  }
});
