import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/core/errors.js';
import { createBackup, listBackups, restoreBackup } from '../../src/migrations/backup.js';
import { makeTempDir } from '../helpers/migration-fixtures.js';

function liveDb(journalMode: 'wal' | 'delete') {
  const dir = makeTempDir();
  const file = path.join(dir, 'app.db');
  const db = new Database(file);
  db.pragma(`journal_mode = ${journalMode}`);
  db.exec("CREATE TABLE notes (body text); INSERT INTO notes VALUES ('one'), ('two')");
  return { dir, file, db, backupDir: path.join(dir, 'backups') };
}

const bodies = (db: Database.Database) => db.prepare('SELECT body FROM notes ORDER BY rowid').pluck().all();

describe('createBackup / listBackups', () => {
  it('writes a complete copy with a sidecar describing it', async () => {
    const { db, file, backupDir } = liveDb('wal');
    const info = await createBackup(db, backupDir, { reason: 'before apply', auditHighWater: 41 });
    expect(info.path).toBe(path.join(backupDir, `${info.id}.db`));
    expect(info.sizeBytes).toBe(fs.statSync(info.path).size);
    expect(info.sha256).toBe(createHash('sha256').update(fs.readFileSync(info.path)).digest('hex'));
    const sidecar = JSON.parse(fs.readFileSync(path.join(backupDir, `${info.id}.json`), 'utf8'));
    expect(sidecar).toMatchObject({
      id: info.id,
      sourceFile: file,
      reason: 'before apply',
      auditHighWater: 41,
    });
    const copy = new Database(info.path, { readonly: true });
    expect(bodies(copy)).toEqual(['one', 'two']);
    expect(copy.pragma('journal_mode', { simple: true })).toBe('delete');
    copy.close();
    expect(fs.readdirSync(backupDir).sort()).toEqual([`${info.id}.db`, `${info.id}.json`]);
  });

  it('copies a rollback-journal database as it was before a writer that has not committed', async () => {
    const { db, file, backupDir } = liveDb('delete');
    const writer = new Database(file, { timeout: 0 });
    writer.exec("BEGIN IMMEDIATE; INSERT INTO notes VALUES ('uncommitted')");
    const info = await createBackup(db, backupDir, { reason: 'x' });
    writer.exec('COMMIT');
    writer.close();
    const copy = new Database(info.path, { readonly: true });
    expect(bodies(copy)).toEqual(['one', 'two']);
    expect(copy.pragma('integrity_check', { simple: true })).toBe('ok');
    copy.close();
    // The read transaction that kept writers out is over, and the connection still writes.
    expect(db.inTransaction).toBe(false);
    db.exec("INSERT INTO notes VALUES ('after')");
    expect(bodies(db)).toEqual(['one', 'two', 'uncommitted', 'after']);
  });

  it('takes a backup from inside an open transaction of the same connection', async () => {
    const { db, backupDir } = liveDb('delete');
    db.exec('BEGIN');
    const info = await createBackup(db, backupDir, { reason: 'x' });
    db.exec('COMMIT');
    expect(bodies(new Database(info.path, { readonly: true }))).toEqual(['one', 'two']);
  });

  it('lists backups newest first and ignores stray files', async () => {
    const { db, backupDir } = liveDb('delete');
    const older = await createBackup(db, backupDir, {
      reason: 'a',
      now: () => new Date('2026-01-01T00:00:00Z'),
    });
    const newer = await createBackup(db, backupDir, {
      reason: 'b',
      now: () => new Date('2026-02-01T00:00:00Z'),
    });
    fs.writeFileSync(path.join(backupDir, 'notes.json'), '{}');
    // A stray sidecar whose name differs from a real one only in its last character (never equal to it).
    const stray = `${older.id.slice(0, -1)}${older.id.endsWith('0') ? '1' : '0'}`;
    fs.writeFileSync(path.join(backupDir, `${stray}.json`), 'broken');
    expect(listBackups(backupDir).map((b) => b.id)).toEqual([newer.id, older.id]);
    expect(listBackups(path.join(backupDir, 'none'))).toEqual([]);
  });

  it('fails with BACKUP_FAILED and a hint when the folder cannot be written', async () => {
    const { db, dir } = liveDb('delete');
    fs.writeFileSync(path.join(dir, 'a-file'), '');
    const error = await createBackup(db, path.join(dir, 'a-file', 'backups'), { reason: 'x' }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('BACKUP_FAILED');
    expect((error as AppError).hint).toContain('--backup-dir');
  });
});

describe('restoreBackup', () => {
  it.each(['delete', 'wal'] as const)(
    'restores online: a connection opened before the restore sees the restored data (%s)',
    async (mode) => {
      const { db, file, backupDir } = liveDb(mode);
      const backup = await createBackup(db, backupDir, { reason: 'checkpoint' });
      db.exec("DELETE FROM notes; INSERT INTO notes VALUES ('three')");
      const reader = new Database(file, { readonly: true });
      expect(bodies(reader)).toEqual(['three']);

      const result = await restoreBackup(file, backupDir, backup.id, { auditHighWater: 7 });
      expect(bodies(reader)).toEqual(['one', 'two']);
      expect(bodies(db)).toEqual(['one', 'two']);
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(db.pragma('journal_mode', { simple: true })).toBe(mode);
      db.exec("INSERT INTO notes VALUES ('four')");
      expect(bodies(reader)).toEqual(['one', 'two', 'four']);

      // The replaced content was itself backed up first.
      expect(result.safetyBackup.reason).toBe(`before restoring ${backup.id}`);
      expect(bodies(new Database(result.safetyBackup.path, { readonly: true }))).toEqual(['three']);
      expect(listBackups(backupDir)).toHaveLength(2);
    },
  );

  it('refuses an unknown id and a damaged backup without changing the database', async () => {
    const { db, file, backupDir } = liveDb('delete');
    const backup = await createBackup(db, backupDir, { reason: 'x' });
    db.exec("INSERT INTO notes VALUES ('three')");
    await expect(restoreBackup(file, backupDir, 'nope')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    fs.appendFileSync(backup.path, 'garbage');
    await expect(restoreBackup(file, backupDir, backup.id)).rejects.toMatchObject({ code: 'BACKUP_FAILED' });
    expect(bodies(db)).toEqual(['one', 'two', 'three']);
  });
});
