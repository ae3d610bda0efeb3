// Child process for the kill -9 tests: applies the pending migrations of <outDir> to <dbFile>.
// Prints READY right before applying and DONE after the commit.
import Database from 'better-sqlite3';
import { applyMigrations } from '../../src/migrations/apply.js';
import { readMigrationFolder } from '../../src/migrations/folder.js';

const [dbFile, outDir] = process.argv.slice(2) as [string, string];
const db = new Database(dbFile);
db.pragma('busy_timeout = 5000');
const folder = readMigrationFolder(outDir);
process.stdout.write('READY\n');
await applyMigrations(db, folder);
process.stdout.write('DONE\n');
db.close();
