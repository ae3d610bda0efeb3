// The CLI as scripts use it: the built bin in a real process, stdout holding only the result, the exit code
// telling the outcome, and the process ending by itself (a leaked worker or handle would hang these tests).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { copyEmbeddedProject, removeDir } from '../helpers/project.js';
import { SERVER_BIN } from '../helpers/stdio.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let project: string;
beforeEach(() => {
  project = copyEmbeddedProject();
});
afterEach(() => removeDir(project));

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runBin(args: string[], stdin?: string): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SERVER_BIN, ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
      cwd: project,
      // No stdin at all, as in CI, unless the test pipes some.
      stdio: [stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
    if (stdin !== undefined) child.stdin!.end(stdin);
  });
}

const lastLine = (text: string) => text.trimEnd().split('\n').at(-1) ?? '';

describe('the built bin as a command-line tool', () => {
  it('call: prints only the JSON result on stdout, exits 0, and ends on its own after loading the Drizzle schema', async () => {
    const result = await runBin([
      'call',
      'inspect_schema',
      '--project',
      project,
      '--args',
      '{"tables":["check_ins"]}',
    ]);
    expect(result.code, result.stderr).toBe(0);
    const data = JSON.parse(result.stdout) as Json;
    expect(data.tables[0].name).toBe('check_ins');
    expect(data.tables[0].drizzle).toBe('checkIns');
  });

  it('call: takes arguments piped on stdin', async () => {
    await runBin(['call', 'read_audit_log', '--project', project, '--args', '{}']);
    const result = await runBin(
      ['call', 'read_audit_log', '--project', project, '--log-level', 'silent'],
      '{"limit":1,"tool":"read_audit_log"}',
    );
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect((JSON.parse(result.stdout) as Json).rows).toEqual([
      expect.objectContaining({ tool: 'read_audit_log', client: expect.stringMatching(/^cli\//) }),
    ]);
  });

  it('call: a tool error exits 1 with the error JSON as the last line of stderr and nothing on stdout', async () => {
    const result = await runBin([
      'call',
      'inspect_schema',
      '--project',
      project,
      '--args',
      '{"tables":["nope"]}',
    ]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(JSON.parse(lastLine(result.stderr))).toMatchObject({
      code: 'NOT_FOUND',
      hint: expect.stringMatching(/users/),
    });
  });

  it('call: bad JSON arguments exit 2 before anything runs', async () => {
    const result = await runBin(['call', 'read_audit_log', '--project', project, '--args', '{"limit":']);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/not valid JSON/);
    expect(fs.existsSync(path.join(project, 'data/app.db'))).toBe(false);
  });

  it('usage errors exit 2 with one JSON error line naming the closest option, command, client or tool', async () => {
    const cases: Array<[string[], RegExp]> = [
      [
        ['call', 'inspect_schema', '--projekt', project],
        /Unknown option --projekt\. Did you mean --project\?/,
      ],
      [['cal', 'inspect_schema'], /Unknown command \\"cal\\"\. Did you mean \\"call\\"\?/],
      [['config', 'claude-destop', '--project', project], /Did you mean \\"claude-desktop\\"\?/],
      [['--write-budget', 'lots'], /--write-budget/],
    ];
    for (const [args, message] of cases) {
      const result = await runBin(args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stdout, args.join(' ')).toBe('');
      const error = JSON.parse(lastLine(result.stderr)) as Json;
      expect(error.code, args.join(' ')).toBe('INVALID_ARGUMENT');
      expect(JSON.stringify(error), args.join(' ')).toMatch(message);
    }
    const tool = await runBin(['call', 'inspect_schemas', '--project', project, '--args', '{}']);
    expect(tool.code).toBe(1);
    expect(JSON.parse(lastLine(tool.stderr)).message).toMatch(/Did you mean "inspect_schema"\?/);
  });

  it('config: a project path that is not there fails instead of printing a snippet', async () => {
    const missing = await runBin(['config', 'claude-desktop', '--project', path.join(project, 'nope')]);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toBe('');
    expect(JSON.parse(lastLine(missing.stderr))).toMatchObject({
      code: 'CONFIG_ERROR',
      message: expect.stringMatching(/nope does not exist/),
    });
    const empty = await runBin(['config', 'cursor', '--project', path.join(project, 'drizzle')]);
    expect(empty.code).toBe(1);
    expect(JSON.parse(lastLine(empty.stderr)).message).toMatch(/No drizzle config found/);
    const ok = await runBin(['config', 'cursor', '--project', project]);
    expect(ok.code).toBe(0);
  });

  it('call: a refusal tells the command-line way to allow it, not an MCP client config', async () => {
    const schemaFile = path.join(project, 'src/db/schema.ts');
    const base = ['--project', project, '--log-level', 'silent'];
    expect((await runBin(['call', 'migration_status', ...base, '--args', '{"drift":false}'])).code).toBe(0);
    for (const sql of [
      "INSERT INTO users (id, email, username) VALUES ('u1', 'a@example.com', 'a')",
      "INSERT INTO check_ins (id, user_id, mood, craving_level, sleep_hours) VALUES ('c1', 'u1', 3, 2, 7.5)",
    ])
      expect((await runBin(['call', 'execute_sql', ...base, '--args', JSON.stringify({ sql })])).code).toBe(
        0,
      );
    fs.writeFileSync(
      schemaFile,
      fs.readFileSync(schemaFile, 'utf8').replace("    sleepHours: real('sleep_hours'),\n", ''),
    );
    expect((await runBin(['call', 'generate_migration', ...base, '--args', '{}'])).code).toBe(0);
    const dry = await runBin(['call', 'apply_migrations', ...base, '--args', '{"dryRun":true}']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(JSON.parse(dry.stdout).consent.decision).toMatch(
      /drizzle-sqlite-mcp call apply_migrations --allow-destructive/,
    );
    const refused = await runBin(['call', 'apply_migrations', ...base, '--args', '{}']);
    expect(refused.code).toBe(3);
    const error = JSON.parse(lastLine(refused.stderr)) as Json;
    expect(error.hint).toMatch(/run the command again with --allow-destructive/);
    expect(error.hint).not.toMatch(/MCP client config/);
  });

  it('call: a CI job can generate, rehearse and apply a migration, each step audited as the CLI', async () => {
    const schemaFile = path.join(project, 'src/db/schema.ts');
    const schema = fs.readFileSync(schemaFile, 'utf8');
    fs.writeFileSync(
      schemaFile,
      schema.replace(
        "    sleepHours: real('sleep_hours'),",
        "    sleepHours: real('sleep_hours'),\n    energy: integer('energy'),",
      ),
    );
    const base = ['--project', project, '--log-level', 'silent'];

    const generated = await runBin([
      'call',
      'generate_migration',
      ...base,
      '--args',
      '{"name":"add_energy"}',
    ]);
    expect(generated.code, generated.stderr).toBe(0);
    expect(generated.stdout).toMatch(/ALTER TABLE `check_ins` ADD `energy` integer/);
    expect(fs.readdirSync(path.join(project, 'drizzle'))).toContain('0001_add_energy.sql');

    const rehearsed = await runBin([
      'call',
      'apply_migrations',
      ...base,
      '--no-migrate-on-start',
      '--args',
      '{"dryRun":true}',
    ]);
    expect(rehearsed.code, rehearsed.stderr).toBe(0);
    expect(JSON.parse(rehearsed.stdout)).toBeTypeOf('object');

    const applied = await runBin([
      'call',
      'apply_migrations',
      ...base,
      '--no-migrate-on-start',
      '--args',
      '{}',
    ]);
    expect(applied.code, applied.stderr).toBe(0);
    const inspected = await runBin(['call', 'inspect_schema', ...base, '--args', '{"tables":["check_ins"]}']);
    expect((JSON.parse(inspected.stdout) as Json).tables[0].columns.join('\n')).toMatch(/^energy INTEGER/m);

    const audit = await runBin(['call', 'read_audit_log', ...base, '--args', '{"limit":4}']);
    const rows = (JSON.parse(audit.stdout) as Json).rows as Json[];
    expect(rows.map((row) => [row.tool, row.outcome, row.client.split('/')[0]])).toEqual([
      ['inspect_schema', 'ok', 'cli'],
      ['apply_migrations', 'ok', 'cli'],
      ['apply_migrations', 'ok', 'cli'],
      ['generate_migration', 'ok', 'cli'],
    ]);
  });

  it('call: a write the human has not consented to is refused with exit 3 (no one to ask on a command line)', async () => {
    const base = ['--project', project, '--log-level', 'silent'];
    const seeded = await runBin([
      'call',
      'execute_sql',
      ...base,
      '--args',
      JSON.stringify({
        sql: "INSERT INTO users (id, email, username) VALUES ('a', 'a@x.test', 'A'), ('b', 'b@x.test', 'B')",
      }),
    ]);
    expect(seeded.code, seeded.stderr).toBe(0);
    const wide = await runBin([
      'call',
      'execute_sql',
      ...base,
      '--write-budget',
      '1',
      '--args',
      '{"sql":"DELETE FROM users"}',
    ]);
    expect(wide.code, wide.stderr).toBe(3);
    expect(wide.stdout).toBe('');
    expect(JSON.parse(lastLine(wide.stderr))).toMatchObject({
      code: expect.stringMatching(/CONSENT_REQUIRED|LIMIT_EXCEEDED/),
    });
  });

  it('call: SIGINT cancels a running query, exits 1 with CANCELLED, and the audit row says so', async () => {
    const child = spawn(
      process.execPath,
      [
        SERVER_BIN,
        'call',
        'run_query',
        '--project',
        project,
        '--query-timeout-ms',
        '120000',
        '--args',
        JSON.stringify({
          sql: 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c',
        }),
      ],
      {
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
        cwd: project,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await new Promise((resolve) => setTimeout(resolve, 2500));
    child.kill('SIGINT');
    expect(await exited, stderr).toBe(1);
    expect(JSON.parse(lastLine(stderr))).toMatchObject({ code: 'CANCELLED' });
    const audit = await runBin([
      'call',
      'read_audit_log',
      '--project',
      project,
      '--args',
      '{"tool":"run_query"}',
    ]);
    expect((JSON.parse(audit.stdout) as Json).rows[0]).toMatchObject({
      outcome: 'error',
      errorCode: 'CANCELLED',
    });
  });

  it('tools: lists the tools as JSON', async () => {
    const result = await runBin(['tools', '--project', project]);
    expect(result.code).toBe(0);
    const { tools } = JSON.parse(result.stdout) as { tools: Json[] };
    expect(tools.find((tool) => tool.name === 'inspect_schema')?.inputSchema.type).toBe('object');
  });

  it('config: prints a snippet that launches this very bin with the absolute node path', async () => {
    const result = await runBin(['config', 'vscode', '--project', project, '--read-only']);
    expect(result.code).toBe(0);
    const server = (JSON.parse(result.stdout) as Json).servers['drizzle-sqlite'];
    expect(server).toEqual({
      type: 'stdio',
      command: process.execPath,
      args: [SERVER_BIN, '--project', project, '--read-only'],
    });
  });
});
