// Backups sit beside the database, usually inside the user's repository: git must not see them (issue 10).
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { createBackup } from '../../src/migrations/backup.js';
import { removeDir, tempDir } from '../helpers/project.js';

describe('backups and version control', () => {
  it('keeps backups out of the git status of the repository they sit in', async () => {
    const dir = tempDir('dsm-vcs-');
    try {
      execFileSync('git', ['init', '-q', dir]);
      const db = new Database(path.join(dir, 'app.db'));
      db.exec('CREATE TABLE notes (body text)');
      const backupDir = path.join(dir, 'data/backups');
      await createBackup(db, backupDir, { reason: 'before apply' });
      await createBackup(db, backupDir, { reason: 'again' });
      db.close();
      const status = execFileSync('git', ['status', '--porcelain', '--untracked-files=all'], {
        cwd: dir,
      }).toString();
      expect(status).not.toMatch(/backups\//);
      expect(status).toMatch(/app\.db/);
    } finally {
      removeDir(dir);
    }
  });
});
