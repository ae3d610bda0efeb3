// Installs the benchmark's competitors (bench/package.json: three published SQLite MCP servers) into
// bench/node_modules, only when `npm run bench` needs them: a user who installs the server (`npm ci`) never
// downloads them. Reinstalls when the lockfile changed since the last install.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const bench = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'bench');
const lock = path.join(bench, 'package-lock.json');
const installed = path.join(bench, 'node_modules', '.package-lock.json');
const upToDate = fs.existsSync(installed) && fs.statSync(installed).mtimeMs >= fs.statSync(lock).mtimeMs;
if (!upToDate) {
  process.stderr.write('Installing the benchmark competitors into bench/node_modules (first run only)…\n');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = spawnSync(npm, ['ci', '--no-audit', '--no-fund'], { cwd: bench, stdio: ['ignore', 2, 2] });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
