// Temp copies of the embedded default project (and other fixtures), so tests never touch the repo's own
// data/, drizzle/ or schema.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export function tempDir(prefix = 'dsm-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Copies drizzle.config.ts, src/db/schema.ts and drizzle/ into a fresh folder; returns the project folder. */
export function copyEmbeddedProject(into: string = tempDir('dsm-project-')): string {
  fs.copyFileSync(path.join(REPO_ROOT, 'drizzle.config.ts'), path.join(into, 'drizzle.config.ts'));
  fs.mkdirSync(path.join(into, 'src/db'), { recursive: true });
  fs.copyFileSync(path.join(REPO_ROOT, 'src/db/schema.ts'), path.join(into, 'src/db/schema.ts'));
  fs.cpSync(path.join(REPO_ROOT, 'drizzle'), path.join(into, 'drizzle'), { recursive: true });
  fs.mkdirSync(path.join(into, 'data'), { recursive: true });
  return into;
}

export function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

export const CORPUS_FIXTURES = path.join(REPO_ROOT, 'test/fixtures/corpus');

/** A temp copy of one synthetic corpus fixture (test/fixtures/corpus/<name>): tests write databases beside configs. */
export function copyCorpusFixture(name: string, into: string = tempDir(`dsm-${name}-`)): string {
  fs.cpSync(path.join(CORPUS_FIXTURES, name), into, { recursive: true });
  return into;
}
