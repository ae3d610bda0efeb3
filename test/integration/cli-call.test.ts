import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLI_CLIENT, EXIT } from '../../src/bin/cli.js';
import { ALL_TOOLS } from '../../src/tools/index.js';
import { runCli } from '../helpers/cli.js';
import { copyEmbeddedProject, REPO_ROOT, removeDir } from '../helpers/project.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let project: string;
beforeEach(() => {
  project = copyEmbeddedProject();
});
afterEach(() => removeDir(project));

const run = (argv: string[], options: { stdin?: string; tty?: boolean } = {}) =>
  runCli(argv, { cwd: project, ...options });

function auditRows(): Json[] {
  const db = new Database(path.join(project, 'data/app.db'), { readonly: true });
  try {
    return db.prepare('SELECT tool, outcome, error_code, client FROM audit_log ORDER BY id').all() as Json[];
  } finally {
    db.close();
  }
}

describe('drizzle-sqlite-mcp call', () => {
  it('runs a tool through the registry, prints its structured result and records a cli audit row', async () => {
    const result = await run([
      'call',
      'read_audit_log',
      '--project',
      project,
      '--args',
      '{"limit": 5, "verify": true}',
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(EXIT.ok);
    const data = JSON.parse(result.stdout) as Json;
    expect(data.chain.ok).toBe(true);
    expect(data.rows.map((row: Json) => row.tool)).toStrictEqual(['apply_migrations']);
    expect(auditRows().at(-1)).toStrictEqual({
      tool: 'read_audit_log',
      outcome: 'ok',
      error_code: null,
      client: CLI_CLIENT,
    });
    expect(CLI_CLIENT).toMatch(/^cli\/\d+\.\d+\.\d+/);
  });

  it('reads the arguments from --args-file, from "-" (stdin), and from piped stdin', async () => {
    const file = path.join(project, 'args.json');
    fs.writeFileSync(file, '{"limit": 1}');
    const fromFile = await run(['call', 'read_audit_log', '--project', project, '--args-file', file]);
    expect(fromFile.code).toBe(EXIT.ok);
    expect((JSON.parse(fromFile.stdout) as Json).rows).toHaveLength(1);

    const fromDash = await run(['call', 'read_audit_log', '--project', project, '--args-file', '-'], {
      stdin: '{"limit": 2}',
    });
    expect((JSON.parse(fromDash.stdout) as Json).rows).toHaveLength(2);

    const piped = await run(['call', 'read_audit_log', '--project', project], {
      stdin: '{"limit": 3, "tool": "read_audit_log"}',
    });
    expect((JSON.parse(piped.stdout) as Json).rows).toHaveLength(2);
    expect((JSON.parse(piped.stdout) as Json).rows.every((row: Json) => row.tool === 'read_audit_log')).toBe(
      true,
    );

    const empty = await run(['call', 'read_audit_log', '--project', project], { stdin: '' });
    expect(empty.code).toBe(EXIT.ok);
    // A terminal on stdin is not read: no arguments.
    const tty = await run(['call', 'read_audit_log', '--project', project], { tty: true });
    expect(tty.code).toBe(EXIT.ok);
  });

  it('exits 1 with the error JSON on stderr when the tool fails, and audits the failure', async () => {
    const unknown = await run(['call', 'drop_everything', '--project', project, '--args', '{}']);
    expect(unknown.code).toBe(EXIT.failed);
    expect(unknown.stdout).toBe('');
    const error = JSON.parse(unknown.stderr) as Json;
    expect(error).toMatchObject({
      code: 'UNKNOWN_TOOL',
      message: expect.stringMatching(/drop_everything/),
      hint: expect.stringMatching(/read_audit_log/),
    });

    const invalid = await run(['call', 'read_audit_log', '--project', project, '--args', '{"limit": "ten"}']);
    expect(invalid.code).toBe(EXIT.failed);
    expect(JSON.parse(invalid.stderr)).toMatchObject({ code: 'INVALID_ARGUMENT' });

    const notFound = await run([
      'call',
      'inspect_schema',
      '--project',
      project,
      '--args',
      '{"tables": ["nope"]}',
    ]);
    expect(notFound.code).toBe(EXIT.failed);
    expect(JSON.parse(notFound.stderr)).toMatchObject({ code: 'NOT_FOUND', details: { unknown: ['nope'] } });

    expect(auditRows().slice(-3)).toStrictEqual([
      { tool: 'drop_everything', outcome: 'error', error_code: 'UNKNOWN_TOOL', client: CLI_CLIENT },
      { tool: 'read_audit_log', outcome: 'error', error_code: 'INVALID_ARGUMENT', client: CLI_CLIENT },
      { tool: 'inspect_schema', outcome: 'error', error_code: 'NOT_FOUND', client: CLI_CLIENT },
    ]);
  });

  it('exits 3 when a guard refuses the call (read-only mode)', async () => {
    await run(['call', 'read_audit_log', '--project', project, '--args', '{}']); // creates and migrates the database
    const refused = await run([
      'call',
      'execute_sql',
      '--project',
      project,
      '--read-only',
      '--args',
      '{"sql": "DELETE FROM users"}',
    ]);
    expect(refused.code, refused.stderr).toBe(EXIT.refused);
    expect(refused.stdout).toBe('');
    expect(JSON.parse(refused.stderr)).toMatchObject({
      code: 'READ_ONLY_MODE',
      hint: expect.stringMatching(/--read-only/),
    });
    expect(auditRows().at(-1)).toStrictEqual({
      tool: 'execute_sql',
      outcome: 'refused',
      error_code: 'READ_ONLY_MODE',
      client: CLI_CLIENT,
    });
  });

  it('exits 2 on arguments that are not a JSON object, without running or auditing anything', async () => {
    const cases: Array<[string[], string | undefined, RegExp]> = [
      [['--args', '{limit: 5}'], undefined, /not valid JSON/],
      [['--args', '[1, 2]'], undefined, /must be a JSON object/],
      [['--args', '"text"'], undefined, /must be a JSON object/],
      [[], 'not json', /\(stdin\) are not valid JSON/],
      [['--args', '{}', '--args-file', 'x.json'], undefined, /either --args or --args-file/],
      [['--args-file', path.join(project, 'missing.json')], undefined, /cannot read --args-file/],
    ];
    for (const [extra, stdin, message] of cases) {
      const result = await run(['call', 'read_audit_log', '--project', project, ...extra], { stdin });
      expect(result.code, extra.join(' ')).toBe(EXIT.usage);
      expect(result.stderr).toMatch(message);
      expect(result.stdout).toBe('');
    }
    const noTool = await run(['call', '--project', project, '--args', '{}']);
    expect(noTool.code).toBe(EXIT.usage);
    expect(noTool.stderr).toMatch(/name the tool/);
    // Nothing ran, so nothing was created.
    expect(fs.existsSync(path.join(project, 'data/app.db'))).toBe(false);
  });

  it('exits 1 with a clear error when the project cannot be opened', async () => {
    const result = await run([
      'call',
      'read_audit_log',
      '--project',
      path.join(project, 'no-such-folder'),
      '--args',
      '{}',
    ]);
    expect(result.code).toBe(EXIT.failed);
    const error = JSON.parse(result.stderr) as Json;
    expect(error.code).toMatch(/CONFIG_ERROR|NOT_FOUND/);
    expect(error.message).toMatch(/no-such-folder/);
  });
});

describe('drizzle-sqlite-mcp tools', () => {
  it('lists every tool with its input schema without opening the database', async () => {
    const result = await run(['tools', '--db', path.join(project, 'never-created.db')]);
    expect(result.code).toBe(EXIT.ok);
    const { tools } = JSON.parse(result.stdout) as { tools: Json[] };
    // A terminal is no MCP Apps host: the app-only tool is left out, as for any client that does not render Apps.
    expect(tools.map((tool) => tool.name)).toStrictEqual(
      ALL_TOOLS.filter((tool) => !tool.appOnly).map((tool) => tool.name),
    );
    const audit = tools.find((tool) => tool.name === 'read_audit_log')!;
    expect(audit.inputSchema.properties.limit).toBeDefined();
    expect(audit.annotations.readOnlyHint).toBe(true);
    expect(fs.existsSync(path.join(project, 'never-created.db'))).toBe(false);
  });
});

describe('drizzle-sqlite-mcp config', () => {
  it('prints the snippet with absolute paths and the chosen options, and where it goes on stderr', async () => {
    const db = path.join(project, 'data/other.db');
    const result = await run(['config', 'claude-desktop', '--project', project, '--db', db, '--read-only']);
    expect(result.code).toBe(EXIT.ok);
    const config = JSON.parse(result.stdout) as Json;
    const entry = config.mcpServers['drizzle-sqlite'];
    expect(entry.command).toBe(process.execPath);
    expect(path.isAbsolute(entry.command)).toBe(true);
    expect(entry.args).toStrictEqual([
      path.join(REPO_ROOT, 'dist/index.js'),
      '--project',
      project,
      '--db',
      db,
      '--read-only',
    ]);
    expect(result.stderr).toMatch(/claude_desktop_config\.json/);
    expect(result.stderr).toMatch(/better-sqlite3/);
  });

  it('prints the claude mcp add command, with the .mcp.json alternative on stderr', async () => {
    const result = await run(['config', 'claude-code', '--project', project]);
    expect(result.stdout.trim()).toMatch(
      new RegExp(`^claude mcp add drizzle-sqlite -- \\S+ \\S+/dist/index\\.js --project ${project}$`),
    );
    expect(result.stderr).toMatch(/\.mcp\.json[\s\S]*"type": "stdio"/);
  });

  it('exits 2 naming the clients when the client is missing or unknown', async () => {
    for (const argv of [['config'], ['config', 'emacs'], ['config', 'cursor', 'extra']]) {
      const result = await run(argv);
      expect(result.code).toBe(EXIT.usage);
      expect(result.stderr).toMatch(/claude-desktop, claude-code, cursor, vscode/);
      expect(result.stdout).toBe('');
    }
  });
});
