// Idioms of real projects that already worked, kept working (test/fixtures/corpus): a monorepo whose config and
// schema import another workspace package, `sqliteView`s, `tablesFilter` beside other apps' tables, and timestamp
// migration names with a ledger table of the project's own.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { corpusSession, type Json } from '../helpers/corpus.js';

const { fixture, start, closeAll } = corpusSession();

describe('corpus idioms that keep working', () => {
  it('a monorepo package whose config and schema import a workspace package', async () => {
    const root = fixture('monorepo-workspace');
    // What the workspace install does: the package linked into node_modules.
    fs.mkdirSync(path.join(root, 'node_modules/@fixture'), { recursive: true });
    fs.symlinkSync(
      path.join(root, 'packages/tables'),
      path.join(root, 'node_modules/@fixture/tables'),
      'dir',
    );
    const h = await start(path.join(root, 'packages/db'));
    expect(h.services.project.dbFile).toBe(path.join(root, 'packages/db/billing.db'));
    const schema = await h.ok<Json>('inspect_schema', { rowCounts: false });
    expect(schema.tables.map((t: Json) => t.name)).toEqual(expect.arrayContaining(['accounts', 'invoices']));
    expect((await h.ok<Json>('migration_status')).drift.inSync).toBe(true);
    expect((await h.ok<Json>('generate_migration', {})).status).toBe('no_changes');
  });

  it('sqliteView: listed, in sync, nothing to generate', async () => {
    const h = await start(fixture('views'));
    const schema = await h.ok<Json>('inspect_schema', { rowCounts: false });
    expect(schema.views.map((v: Json) => v.name)).toEqual(['open_orders', 'revenue_by_customer']);
    expect((await h.ok<Json>('migration_status')).drift.inSync).toBe(true);
    expect((await h.ok<Json>('generate_migration', {})).status).toBe('no_changes');
  });

  it('tablesFilter: other apps’ tables in the same database are not drift', async () => {
    const project = fixture('tables-filter');
    await start(project);
    await closeAll();
    const db = new Database(path.join(project, 'app.db'));
    db.exec(
      'CREATE TABLE _cf_KV (key text PRIMARY KEY, value blob); CREATE TABLE other_app_users (id integer);',
    );
    db.close();
    const h = await start(project);
    expect((await h.ok<Json>('migration_status')).drift.inSync).toBe(true);
    expect((await h.ok<Json>('generate_migration', {})).status).toBe('no_changes');
  });

  it('timestamp prefixes with timestamp-named snapshots, and a ledger table of the project’s own', async () => {
    const project = fixture('prefix-timestamp');
    const h = await start(project);
    const status = await h.ok<Json>('migration_status');
    expect(status.counts).toMatchObject({ applied: 2 });
    expect(status.warnings).toBeUndefined();
    expect(status.drift.inSync).toBe(true);
    expect(h.services.tables.ledgerTable).toBe('app_migrations');
    const db = new Database(path.join(project, 'app.db'), { readonly: true });
    expect(db.prepare('SELECT count(*) FROM app_migrations').pluck().get()).toBe(2);
    db.close();
    expect((await h.ok<Json>('generate_migration', {})).status).toBe('no_changes');
  });
});
