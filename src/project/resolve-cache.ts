// Remembers how a bare package import resolved (esbuild's build.resolve costs 10–25 ms per call, most of a warm
// schema load), for as long as nothing it could depend on changed. Invariant: an entry is used only while every file
// and folder that package resolution reads — each ancestor's node_modules/<package> (and its package.json), each
// ancestor's package.json (self-references), tsconfig.json / jsconfig.json (paths, baseUrl), the explicit tsconfig —
// has the same stat signature (inode, size, mtime and ctime in ns, or "absent") as when the answer was computed, and
// the resolved file still has its own. Entries whose answer a tsconfig could redirect (one with "paths", "baseUrl" or
// "extends") are never stored. Module state on purpose: it lives as long as the kit worker thread.
import fs from 'node:fs';
import path from 'node:path';

export interface ResolveKey {
  kind: string;
  specifier: string;
  /** The folders resolution is tried from, in order (the project's, then this package's). */
  resolveDirs: readonly string[];
  /** The tsconfig passed to esbuild, if any (otherwise esbuild looks for one in every ancestor). */
  tsconfig: string | undefined;
}

export type Signatures = ReadonlyArray<readonly [file: string, signature: string]>;

interface Entry<T> {
  answer: T;
  signatures: Signatures;
}

const MAX_ENTRIES = 500;
const entries = new Map<string, Entry<unknown>>();

const TSCONFIG_NAMES = ['tsconfig.json', 'jsconfig.json'];
const REDIRECTING = /"(?:paths|baseUrl|extends)"/;

/** The remembered answer, or undefined when there is none or anything it depended on changed. */
export function cachedResolution<T>(key: ResolveKey): T | undefined {
  const id = keyOf(key);
  const entry = entries.get(id);
  if (!entry) return undefined;
  for (const [file, signature] of entry.signatures) {
    if (signatureOf(file) !== signature) {
      entries.delete(id);
      return undefined;
    }
  }
  return entry.answer as T;
}

/**
 * The signatures of everything resolving `specifier` from `resolveDir` reads; take them before resolving, so a change
 * during the resolution drops the entry on its next use instead of pinning an answer computed from the old files.
 * Undefined when such an answer must not be remembered.
 */
export function signaturesBeforeResolving(
  specifier: string,
  resolveDir: string,
  tsconfig: string | undefined,
): Signatures | undefined {
  if (specifier.startsWith('#')) return undefined; // package.json "imports": depends on the importer's package
  const packageName = packageNameOf(specifier);
  if (!packageName) return undefined;
  const files = new Set<string>();
  if (tsconfig) files.add(tsconfig);
  for (const ancestor of ancestorsOf(resolveDir)) {
    files.add(path.join(ancestor, 'node_modules', packageName));
    files.add(path.join(ancestor, 'node_modules', packageName, 'package.json'));
    files.add(path.join(ancestor, 'package.json'));
    for (const name of TSCONFIG_NAMES) files.add(path.join(ancestor, name));
  }
  const signatures = [...files].map((file) => [file, signatureOf(file)] as const);
  for (const file of files) {
    if ((file === tsconfig || TSCONFIG_NAMES.includes(path.basename(file))) && mayRedirect(file))
      return undefined;
  }
  return signatures;
}

/** Remembers `answer` for `key` while `signatures` (and the resolved file's own) stay the same. */
export function rememberResolution(
  key: ResolveKey,
  answer: unknown,
  signatures: Signatures,
  resolvedFile: string,
): void {
  if (entries.size >= MAX_ENTRIES) entries.clear();
  entries.set(keyOf(key), { answer, signatures: [...signatures, [resolvedFile, signatureOf(resolvedFile)]] });
}

/** For tests: forget everything. */
export function clearResolutionCache(): void {
  entries.clear();
}

function keyOf(key: ResolveKey): string {
  return JSON.stringify([key.kind, key.specifier, key.resolveDirs, key.tsconfig ?? null]);
}

/** "drizzle-orm/sqlite-core" → "drizzle-orm"; "@scope/pkg/sub" → "@scope/pkg". */
function packageNameOf(specifier: string): string | undefined {
  const parts = specifier.split('/');
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
  return name && !name.endsWith('/') && !name.includes('\\') ? name : undefined;
}

function ancestorsOf(dir: string): string[] {
  const found: string[] = [];
  let current = path.resolve(dir);
  for (;;) {
    found.push(current);
    const parent = path.dirname(current);
    if (parent === current) return found;
    current = parent;
  }
}

function signatureOf(file: string): string {
  try {
    const stat = fs.statSync(file, { bigint: true });
    return `${stat.ino}:${stat.size}:${stat.mtimeNs}:${stat.ctimeNs}`;
  } catch {
    return 'absent';
  }
}

function mayRedirect(file: string): boolean {
  try {
    return REDIRECTING.test(fs.readFileSync(file, 'utf8'));
  } catch {
    return false; // absent: its signature ("absent") is recorded, so creating it later drops the entry
  }
}
