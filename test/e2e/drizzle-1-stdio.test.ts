// The built server over stdio on a Drizzle 1.0 project: the project's drizzle-kit 1.0.0-rc.5 generates (a rename asked
// and answered by hints), a schema that prints writes nothing to stdout, and drizzle-kit's silent exit on a duplicate
// index name is an error result after which the server keeps answering — stdout carries JSON-RPC only.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { copyDrizzle1Fixture, v1MigrationNames } from '../helpers/drizzle-rc.js';
import { removeDir } from '../helpers/project.js';
import { initialize, nonJsonRpcLines, spawnServer } from '../helpers/stdio.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let project: string | undefined;
afterEach(() => {
  if (project) removeDir(project);
  project = undefined;
});

describe('the built server on a drizzle-kit 1.0 project', () => {
  it("generates with the project's drizzle-kit 1.0, and keeps stdout to JSON-RPC through prints and its silent exit", async () => {
    project = copyDrizzle1Fixture('v1-fresh');
    const schemaFile = path.join(project, 'src/db/schema.ts');
    const original = fs.readFileSync(schemaFile, 'utf8');
    fs.writeFileSync(
      schemaFile,
      `${original.replace("title: text('title')", "headline: text('headline')")}\nconsole.log('hello from schema.ts');\n`,
    );
    const server = spawnServer(['--project', project]);
    await initialize(server);
    const call = async (name: string, args: Record<string, unknown>) =>
      (await server.request('tools/call', { name, arguments: args })).result as Json;

    const status = await call('migration_status', {});
    expect(status.structuredContent.drizzle).toMatchObject({
      kit: '1.0.0-rc.5',
      layout: '1.0 folders',
      ledger: '1.0',
    });
    expect((await call('generate_migration', { name: 'headline' })).structuredContent.status).toBe(
      'missing_hints',
    );
    const generated = await call('generate_migration', {
      name: 'headline',
      hints: [
        {
          type: 'rename',
          kind: 'column',
          from: ['public', 'posts', 'title'],
          to: ['public', 'posts', 'headline'],
        },
      ],
    });
    expect(generated.structuredContent).toMatchObject({
      status: 'ok',
      tag: expect.stringMatching(/^\d{14}_headline$/),
    });

    fs.writeFileSync(
      schemaFile,
      original.replace(
        "(t) => [index('comments_post_id_idx').on(t.postId)]",
        "(t) => [index('comments_post_id_idx').on(t.postId), index('comments_post_id_idx').on(t.body)]",
      ),
    );
    const silent = await call('generate_migration', { name: 'dup' });
    expect(silent.structuredContent).toMatchObject({
      status: 'error',
      message: expect.stringContaining('drizzle-kit stopped while reading the schema'),
    });
    expect(v1MigrationNames(project)).toHaveLength(4);
    expect((await call('read_audit_log', { limit: 1 })).isError).toBeFalsy();

    expect((await server.exited()).code).toBe(0);
    expect(nonJsonRpcLines(server.stdout())).toEqual([]);
    expect(
      server
        .stdout()
        .split('\n')
        .filter((line) => /hello from schema/.test(line) && !line.startsWith('{"')),
    ).toEqual([]);
  });
});
