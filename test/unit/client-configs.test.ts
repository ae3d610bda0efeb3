import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/core/config.js';
import {
  CLIENTS,
  launchFor,
  serverArgsFor,
  shellQuote,
  snippetsFor,
  type ClientName,
} from '../../src/bin/client-configs.js';
import { REPO_ROOT } from '../helpers/project.js';

const configFrom = (argv: string[]) =>
  loadConfig({ argv, env: {}, cwd: '/home/me', defaultProjectDir: '/opt/drizzle-sqlite-mcp' }).config;

/** The placeholders the README's snippets use, so a reader sees where their own paths go. */
const README_LAUNCH = launchFor({
  node: '/usr/local/bin/node',
  entry: '/path/to/drizzle-sqlite-mcp/dist/index.js',
  config: configFrom(['--project', '/path/to/your-app']),
});

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('serverArgsFor', () => {
  it('always names the project and leaves defaults out', () => {
    expect(serverArgsFor(configFrom([]))).toEqual(['--project', '/opt/drizzle-sqlite-mcp']);
    expect(serverArgsFor(configFrom(['--project', 'app', '--write-budget', '100']))).toEqual([
      '--project',
      '/home/me/app',
    ]);
  });

  it('carries every option that differs from the default, as absolute paths and bare flags', () => {
    const config = configFrom([
      '--project', 'app', '--db', 'data/other.db', '--read-only', '--audit-db', '/var/audit.db',
      '--max-rows', '50', '--no-migrate-on-start', '--log-level', 'debug',
    ]); // prettier-ignore
    const args = serverArgsFor(config);
    expect(args.slice(0, 2)).toEqual(['--project', '/home/me/app']);
    expect(args).toContain('--read-only');
    expect(args).toContain('--no-migrate-on-start');
    expect(args.join(' ')).toContain('--db /home/me/data/other.db');
    expect(args.join(' ')).toContain('--audit-db /var/audit.db');
    expect(args.join(' ')).toContain('--max-rows 50');
    expect(args.join(' ')).toContain('--log-level debug');
    // Round trip: the carried arguments give back the same config.
    expect(loadConfig({ argv: args, env: {}, cwd: '/elsewhere', defaultProjectDir: '/x' }).config).toEqual(
      config,
    );
  });

  it('round-trips every guard option', () => {
    const config = configFrom([
      '--allow-destructive', '--allow-large-writes', '--write-budget', '7', '--max-rows-limit', '9', '--max-bytes', '1000',
      '--query-timeout-ms', '100', '--busy-timeout-ms', '200', '--audit-table', 'my_audit', '--backup-dir', '/b', '--config', '/p/drizzle.config.ts',
    ]); // prettier-ignore
    expect(
      loadConfig({ argv: serverArgsFor(config), env: {}, cwd: '/elsewhere', defaultProjectDir: '/x' }).config,
    ).toEqual(config);
  });
});

describe('snippetsFor', () => {
  const launch = launchFor({
    node: '/usr/bin/node',
    entry: '/srv/dsm/dist/index.js',
    config: configFrom(['--project', '/srv/app', '--read-only']),
  });
  const expectedEntry = {
    command: '/usr/bin/node',
    args: ['/srv/dsm/dist/index.js', '--project', '/srv/app', '--read-only'],
  };

  it('gives Claude Desktop an mcpServers entry with the absolute node path', () => {
    const config = JSON.parse(snippetsFor('claude-desktop', launch).primary.text) as Json;
    expect(config).toEqual({ mcpServers: { 'drizzle-sqlite': expectedEntry } });
  });

  it('gives Cursor an mcpServers entry and VS Code a stdio server under "servers"', () => {
    expect(JSON.parse(snippetsFor('cursor', launch).primary.text)).toEqual({
      mcpServers: { 'drizzle-sqlite': expectedEntry },
    });
    expect(JSON.parse(snippetsFor('vscode', launch).primary.text)).toEqual({
      servers: { 'drizzle-sqlite': { type: 'stdio', ...expectedEntry } },
    });
  });

  it('gives Claude Code a `claude mcp add` command and a project .mcp.json', () => {
    const snippets = snippetsFor('claude-code', launch);
    expect(snippets.primary.text).toBe(
      'claude mcp add drizzle-sqlite -- /usr/bin/node /srv/dsm/dist/index.js --project /srv/app --read-only',
    );
    expect(JSON.parse(snippets.alternatives[0]!.text)).toEqual({
      mcpServers: { 'drizzle-sqlite': { type: 'stdio', ...expectedEntry } },
    });
  });

  it('quotes paths with spaces and quotes for the shell', () => {
    expect(shellQuote('/Users/me/My App')).toBe("'/Users/me/My App'");
    expect(shellQuote("it's")).toBe("'it'\\''s'");
    expect(shellQuote('/plain/path-1.2')).toBe('/plain/path-1.2');
    const spaced = launchFor({
      node: '/usr/bin/node',
      entry: '/a b/dist/index.js',
      config: configFrom(['--project', '/my app']),
    });
    expect(snippetsFor('claude-code', spaced).primary.text).toBe(
      "claude mcp add drizzle-sqlite -- /usr/bin/node '/a b/dist/index.js' --project '/my app'",
    );
  });
});

/** README blocks look like: <!-- client-config:ID -->\n```lang\n…\n```\n<!-- /client-config:ID --> */
function readmeBlock(readme: string, id: string): { language: string; text: string } | undefined {
  const escaped = id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const match = new RegExp(
    `<!-- client-config:${escaped} -->\\n\`\`\`(\\w+)\\n([\\s\\S]*?)\\n\`\`\`\\n<!-- /client-config:${escaped} -->`,
  ).exec(readme);
  return match ? { language: match[1]!, text: match[2]! } : undefined;
}

describe('the README client snippets', () => {
  const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
  const cases: Array<[string, ClientName, 'primary' | number]> = [
    ...CLIENTS.map((client) => [client, client, 'primary'] as [string, ClientName, 'primary']),
    ['claude-code:.mcp.json', 'claude-code', 0],
  ];

  it.each(cases)('shows the %s snippet exactly as the config command generates it', (id, client, which) => {
    const snippets = snippetsFor(client, README_LAUNCH);
    const expected = which === 'primary' ? snippets.primary : snippets.alternatives[which]!;
    const block = readmeBlock(readme, id);
    expect(
      block,
      `README.md needs a block <!-- client-config:${id} --> with:\n${expected.text}`,
    ).toBeDefined();
    expect(block!.language).toBe(expected.language);
    expect(block!.text).toBe(expected.text);
    if (expected.language === 'json') expect(() => JSON.parse(block!.text) as unknown).not.toThrow();
  });
});
