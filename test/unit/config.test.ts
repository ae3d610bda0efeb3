import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/core/config.js';

const base = { env: {}, cwd: '/work/app', defaultProjectDir: '/opt/embedded' };

describe('loadConfig', () => {
  it('defaults to the embedded project and serve', () => {
    const parsed = loadConfig({ ...base, argv: [] });
    expect(parsed.command).toBe('serve');
    expect(parsed.config).toMatchObject({
      projectDir: '/opt/embedded',
      readOnly: false,
      writeBudget: 100,
      maxRows: 100,
      auditTable: 'audit_log',
      textCopy: 'summary',
    });
  });

  it('resolves paths against the working directory and lets the CLI win over the environment', () => {
    const parsed = loadConfig({
      ...base,
      argv: ['--project', 'proj', '--db', 'x.db', '--write-budget', '7'],
      env: {
        DRIZZLE_SQLITE_MCP_PROJECT: '/elsewhere',
        DRIZZLE_SQLITE_MCP_WRITE_BUDGET: '9',
        DRIZZLE_SQLITE_MCP_READ_ONLY: '1',
        DRIZZLE_SQLITE_MCP_TEXT_COPY: 'full',
      },
    });
    expect(parsed.config).toMatchObject({
      projectDir: '/work/app/proj',
      dbFile: '/work/app/x.db',
      writeBudget: 7,
      readOnly: true,
      textCopy: 'full',
    });
  });

  it('takes the project folder from --config when no project is named', () => {
    expect(loadConfig({ ...base, argv: ['--config', '../other/drizzle.config.ts'] }).config.projectDir).toBe(
      '/work/other',
    );
  });

  it('names the option and its legal values in errors', () => {
    expect(() => loadConfig({ ...base, argv: ['--log-level', 'loud'] })).toThrow(
      /--log-level.*debug, info, warn, error, silent/,
    );
    expect(() => loadConfig({ ...base, argv: ['--write-budget', '0'] })).toThrow(
      /--write-budget.*at least 1/,
    );
    expect(() => loadConfig({ ...base, argv: ['--audit-table', 'x; drop'] })).toThrow(/--audit-table/);
    expect(() => loadConfig({ ...base, argv: ['--text-copy', 'both'] })).toThrow(
      /--text-copy.*summary, full/,
    );
    expect(() => loadConfig({ ...base, argv: ['--nope'] })).toThrow(
      expect.objectContaining({ code: 'CONFIG_ERROR' }),
    );
    expect(() => loadConfig({ ...base, argv: ['launch'] })).toThrow(/Unknown command "launch"/);
  });

  it('recognises the commands, help and version', () => {
    expect(loadConfig({ ...base, argv: ['call', 'run_query', '--args', '{}'] })).toMatchObject({
      command: 'call',
      positionals: ['run_query'],
      args: '{}',
    });
    expect(loadConfig({ ...base, argv: ['--help'] }).command).toBe('help');
    expect(loadConfig({ ...base, argv: ['-v'] }).command).toBe('version');
  });
});
