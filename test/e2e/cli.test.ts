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
