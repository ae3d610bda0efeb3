// Where new code breaks lines: the printWidth of the prettier config that applies to a schema file, found the
// way prettier finds it (the nearest config file above the file; package.json counts only with a "prettier" key).
// Read as text, never run: a JavaScript config is searched for a literal `printWidth: N`, and one that computes it
// gives prettier's default. Reads files; no process.
import path from 'node:path';
import { readTextIfExists } from '../core/files.js';

const CONFIG_FILES = [
  '.prettierrc',
  '.prettierrc.json',
  '.prettierrc.json5',
  '.prettierrc.yaml',
  '.prettierrc.yml',
  '.prettierrc.toml',
  '.prettierrc.js',
  '.prettierrc.cjs',
  '.prettierrc.mjs',
  '.prettierrc.ts',
  'prettier.config.js',
  'prettier.config.cjs',
  'prettier.config.mjs',
  'prettier.config.ts',
];

const PRINT_WIDTH = /["']?printWidth["']?\s*[:=]\s*(\d{2,3})\b/;

/** The printWidth that applies to `file`, or undefined when its config (or the lack of one) leaves the default. */
export function printWidthFor(file: string): number | undefined {
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    for (const name of CONFIG_FILES) {
      const text = readQuietly(path.join(dir, name));
      if (text !== undefined) return widthIn(text);
    }
    const pkg = readQuietly(path.join(dir, 'package.json'));
    if (pkg !== undefined) {
      const config = prettierKey(pkg);
      if (config !== undefined)
        return typeof config === 'object' ? widthIn(JSON.stringify(config)) : undefined;
    }
    if (path.dirname(dir) === dir) return undefined;
  }
}

/** Best effort: a config that cannot be read is as good as none. */
function readQuietly(file: string): string | undefined {
  try {
    return readTextIfExists(file);
  } catch {
    return undefined;
  }
}

function widthIn(text: string): number | undefined {
  const match = PRINT_WIDTH.exec(text);
  return match ? Number(match[1]) : undefined;
}

function prettierKey(pkg: string): unknown {
  try {
    return (JSON.parse(pkg) as { prettier?: unknown }).prettier;
  } catch {
    return undefined;
  }
}
