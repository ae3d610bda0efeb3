import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadConfig } from '../../src/core/config.js';
import { AppError } from '../../src/core/errors.js';
import { createLogger } from '../../src/core/logger.js';
import { createToolRegistry } from '../../src/tools/registry.js';
import { openServices, type Services } from '../../src/app/services.js';
import { migrateOnStart } from '../../src/app/startup.js';
import { defineTool } from '../../src/tools/types.js';
import { copyEmbeddedProject, removeDir } from '../helpers/project.js';
import { entryPoints } from '../../src/bin/entry-points.js';

// Tools that fail in ways the real ones should not, to prove the registry's own promises hold for any tool.
const Input = z.object({}).strict();
const Output = z.object({ ok: z.boolean() });
const crashing = defineTool({
  name: 'crash',
  title: 'Crash',
  description: 'Throws an error that is not part of the AppError family.',
  inputSchema: Input,
  outputSchema: Output,
  effect: 'read',
  idempotent: true,
  async handler() {
    throw new TypeError('secret internals: /home/someone/.env');
  },
});
const slow = defineTool({
  name: 'slow',
  title: 'Slow',
  description: 'Waits until the caller cancels.',
  inputSchema: Input,
  outputSchema: Output,
  effect: 'read',
  idempotent: true,
  async handler(_input, { signal }) {
    if (!signal.aborted) await new Promise((resolve) => signal.addEventListener('abort', resolve));
    throw new AppError('CANCELLED', 'stopped as asked');
  },
});
// Finishes its work although the client cancelled meanwhile (as generate_migration may have written its files).
const finishing = defineTool({
  name: 'finish',
  title: 'Finish',
  description: 'Waits until the caller cancels, then completes its work anyway.',
  inputSchema: Input,
  outputSchema: Output,
  effect: 'files',
  idempotent: false,
  async handler(_input, { signal, addAuditDetails }) {
    if (!signal.aborted) await new Promise((resolve) => signal.addEventListener('abort', resolve));
    addAuditDetails({ files: ['drizzle/0009_done.sql'] });
    return { data: { ok: true } };
  },
});

// A tool that commits its own ok row with its change (as apply, restore and the audited writes do), and then
// fails — or fails inside the commit.
const committing = defineTool({
  name: 'commit',
  title: 'Commit',
  description: 'Commits its audit row through commitWithAudit, then fails as asked.',
  inputSchema: z.object({ failInside: z.boolean() }).strict(),
  outputSchema: Output,
  effect: 'write',
  idempotent: false,
  async handler(input, { services, commitWithAudit }) {
    await commitWithAudit(async (row) => {
      if (input.failInside) throw new Error('the change did not commit');
      services.audit.append(row({ details: { committedBy: 'the tool' } }));
    });
    throw new TypeError('failed after the commit');
  },
});

// A tool that sets a field to undefined instead of leaving it out.
const sloppy = defineTool({
  name: 'sloppy',
  title: 'Sloppy',
  description: 'Returns a field set to undefined.',
  inputSchema: Input,
  outputSchema: z.object({ ok: z.boolean(), note: z.string().optional() }),
  effect: 'read',
  idempotent: true,
  async handler() {
    return { data: { ok: true, note: undefined } };
  },
});

describe('the registry', () => {
  let project: string;
  let services: Services;
  const logged: string[] = [];

  beforeAll(async () => {
    project = copyEmbeddedProject();
    const { config } = loadConfig({
      argv: ['--project', project, '--log-level', 'silent'],
      env: {},
      cwd: project,
      defaultProjectDir: project,
    });
    services = await openServices(config, createLogger('silent'), { entries: entryPoints(), migrateOnStart });
  });
  afterAll(async () => {
    await services.close();
    removeDir(project);
  });

  const registry = () =>
    createToolRegistry({
      tools: [crashing, slow, finishing, committing, sloppy],
      services: async () => services,
      readOnly: false,
      logger: {
        ...createLogger('silent'),
        error: (message, data) => logged.push(`${message} ${JSON.stringify(data)}`),
      },
    });

  const lastRow = () => {
    const db = new Database(path.join(project, 'data/app.db'), { readonly: true });
    const row = db.prepare('select tool, outcome, error_code from audit_log order by id desc limit 1').get();
    db.close();
    return row;
  };

  it('turns an unexpected throw into INTERNAL with a generic message, logs the details to stderr, and audits it', async () => {
    const outcome = await registry().call('crash', {}, { client: 'test/1' });
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.error.code).toBe('INTERNAL');
    expect(outcome.error.message).not.toMatch(/secret internals/);
    expect(logged.join('\n')).toMatch(/secret internals/);
    expect(lastRow()).toEqual({ tool: 'crash', outcome: 'error', error_code: 'INTERNAL' });
  });

  it('audits a call cancelled by the client as CANCELLED', async () => {
    const controller = new AbortController();
    const pending = registry().call('slow', {}, { client: 'test/1', signal: controller.signal });
    controller.abort();
    const outcome = await pending;
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(outcome.error.code).toBe('CANCELLED');
    expect(lastRow()).toEqual({ tool: 'slow', outcome: 'error', error_code: 'CANCELLED' });
  });

  it('records a call that finished after the client cancelled as what it did, never as "cancelled, nothing happened"', async () => {
    const controller = new AbortController();
    const pending = registry().call('finish', {}, { client: 'test/1', signal: controller.signal });
    controller.abort();
    expect((await pending).ok).toBe(true);
    const [row] = rowsOf('finish').slice(-1);
    expect(row).toMatchObject({ outcome: 'ok', error_code: null });
    expect(JSON.parse(row!.details)).toMatchObject({
      files: ['drizzle/0009_done.sql'],
      clientCancelled: true,
    });
  });

  const rowsOf = (tool: string) => {
    const db = new Database(path.join(project, 'data/app.db'), { readonly: true });
    const rows = db
      .prepare('select outcome, error_code, details from audit_log where tool = ? order by id')
      .all(tool);
    db.close();
    return rows as Array<{ outcome: string; error_code: string | null; details: string }>;
  };

  it('writes no second row for a call whose change committed with its row, even when it fails afterwards', async () => {
    const before = rowsOf('commit').length;
    const outcome = await registry().call('commit', { failInside: false }, { client: 'test/1' });
    expect(outcome.ok).toBe(false);
    const rows = rowsOf('commit').slice(before);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ outcome: 'ok', error_code: null });
    expect(JSON.parse(rows[0]!.details)).toMatchObject({ committedBy: 'the tool' });
  });

  it('records the error when the change fails inside its commit, so no call goes unaudited', async () => {
    const before = rowsOf('commit').length;
    const outcome = await registry().call('commit', { failInside: true }, { client: 'test/1' });
    expect(outcome.ok).toBe(false);
    expect(rowsOf('commit').slice(before)).toEqual([
      expect.objectContaining({ outcome: 'error', error_code: 'INTERNAL' }),
    ]);
  });

  it('holds tools to leaving empty fields out when outputs are verified (tests)', async () => {
    const checked = createToolRegistry({
      tools: [sloppy],
      services: async () => services,
      readOnly: false,
      logger: createLogger('silent'),
      verifyOutputs: true,
    });
    const outcome = await checked.call('sloppy', {}, { client: 'test/1' });
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(outcome.error.code).toBe('INTERNAL');
    expect((await registry().call('sloppy', {}, { client: 'test/1' })).ok).toBe(true);
  });
});
