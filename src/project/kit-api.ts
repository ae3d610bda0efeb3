// drizzle-kit, imported on first use and then held per package folder: it is large, only the kit worker needs it, and
// even a cached dynamic import re-runs module resolution (and any loader hooks) on every call. Which drizzle-kit —
// ours, or the project's of either line — is decided by kit-resolve.ts; this module only loads what it is told.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as KitApi from 'drizzle-kit/api';
import { AppError } from '../core/errors.js';
import { preSdkRefusal, type KitRef } from './kit-resolve.js';
import type { AnySqliteSnapshot, SqliteSnapshotV7 } from './types.js';

/** drizzle-kit 1.x's `generate`/`check`/`up` answers (its `--output json` envelopes), as far as we read them. */
export type KitSdkResult =
  | { status: 'ok'; dialect?: string; migration_path?: string; upgraded?: string[]; warnings?: unknown[] }
  | { status: 'no_changes'; dialect?: string }
  | { status: 'missing_hints'; unresolved: KitSdkMissingHint[] }
  | { status: 'error'; error: { code: string; message?: string } & Record<string, unknown> };

export interface KitSdkMissingHint {
  type: string;
  kind: string;
  entity: string[];
}

/** The part of drizzle-kit 1.x's typed SDK (`drizzle-kit/cli`) this server calls. */
export interface KitSdk {
  generate(options: Record<string, unknown>): Promise<KitSdkResult>;
  check(options: Record<string, unknown>): Promise<KitSdkResult>;
  up(options: Record<string, unknown>): Promise<KitSdkResult>;
}

/** The part of drizzle-kit 1.x's `drizzle-kit/payload/sqlite` this server calls. */
export interface KitPayload {
  generateDrizzleJson(imports: Record<string, unknown>, prevId?: string): Promise<SqliteSnapshotV7>;
}

const loaded = new Map<string, Promise<unknown>>();

function once<T>(key: string, load: () => Promise<T>): Promise<T> {
  let module = loaded.get(key) as Promise<T> | undefined;
  if (!module) {
    module = load();
    loaded.set(key, module);
    // A failed import is not remembered: the project may be fixed (npm install) while the server runs.
    module.catch(() => loaded.delete(key));
  }
  return module;
}

/** drizzle-kit 0.x's programmatic API (`drizzle-kit/api`): ours, or the project's when `kit` says so. */
export function loadKitApi(kit?: KitRef): Promise<typeof KitApi> {
  if (!kit?.dir) return once('bundled', () => import('drizzle-kit/api'));
  return once(`${kit.dir}#api`, () => importExport<typeof KitApi>(kit, './api'));
}

/** drizzle-kit 1.x's typed SDK (`drizzle-kit/cli`) from the project's package. */
export function loadKitSdk(kit: KitRef): Promise<KitSdk> {
  return once(`${requireDir(kit)}#cli`, () => importExport<KitSdk>(kit, './cli'));
}

/** drizzle-kit 1.x's SQLite payload API (`drizzle-kit/payload/sqlite`) from the project's package. */
export function loadKitPayload(kit: KitRef): Promise<KitPayload> {
  return once(`${requireDir(kit)}#payload`, () => importExport<KitPayload>(kit, './payload/sqlite'));
}

/** The schema's snapshot in the format of the drizzle-kit that runs for the project. */
export async function snapshotWith(
  kit: KitRef | undefined,
  imports: Record<string, unknown>,
  prevId: string | undefined,
  casing: 'snake_case' | 'camelCase' | undefined,
): Promise<AnySqliteSnapshot> {
  if (kit?.line === '1.x') return (await loadKitPayload(kit)).generateDrizzleJson(imports, prevId);
  const { generateSQLiteDrizzleJson } = await loadKitApi(kit);
  return (await generateSQLiteDrizzleJson(imports, prevId, casing)) as unknown as AnySqliteSnapshot;
}

function requireDir(kit: KitRef): string {
  if (!kit.dir)
    throw new AppError('INTERNAL', `drizzle-kit ${kit.version} has no package folder to load from.`);
  return kit.dir;
}

/** The drizzle-kit 1.x entry points this server drives; both arrived in 1.0.0-rc.4. */
const SDK_SUBPATHS = new Set(['./cli', './payload/sqlite']);

/** Imports a subpath of the package at `kit.dir` as Node would (its `exports` map, the `import` condition). */
async function importExport<T>(kit: KitRef, subpath: string): Promise<T> {
  const dir = requireDir(kit);
  let file: string | undefined;
  try {
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
      exports?: Record<string, unknown>;
    };
    file = exportTarget(manifest.exports?.[subpath]);
  } catch {
    file = undefined;
  }
  if (!file) {
    // chooseKit refuses these already; a package replaced while the server runs gets the same words.
    if (kit.line === '1.x' && SDK_SUBPATHS.has(subpath)) {
      const { message, hint } = preSdkRefusal(kit.version, subpath);
      throw new AppError('CONFIG_ERROR', message, { hint });
    }
    throw new AppError(
      'CONFIG_ERROR',
      `The project's drizzle-kit ${kit.version} (${dir}) has no "${subpath}" export; this server cannot drive it.`,
      {
        hint: 'Reinstall drizzle-kit in the project (npm ci), or install a drizzle-kit version this server supports.',
      },
    );
  }
  try {
    return (await import(pathToFileURL(path.join(dir, file)).href)) as T;
  } catch (error) {
    throw new AppError(
      'CONFIG_ERROR',
      `The project's drizzle-kit ${kit.version} (${dir}) could not be loaded: ${(error as Error).message}`,
      {
        hint: 'drizzle-kit needs the drizzle-orm of its own line beside it: install matching versions of both in the project.',
        cause: error,
      },
    );
  }
}

function exportTarget(entry: unknown): string | undefined {
  if (typeof entry === 'string') return entry;
  if (typeof entry !== 'object' || entry === null) return undefined;
  const conditions = entry as Record<string, unknown>;
  for (const condition of ['import', 'node', 'default']) {
    const target = exportTarget(conditions[condition]);
    if (target) return target;
  }
  return undefined;
}
