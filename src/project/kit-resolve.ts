// Which drizzle-kit and drizzle-orm a project uses, and which drizzle-kit this server runs for it. Invariant: the
// project's own drizzle-kit runs whenever it can do the job without prompting (so the files we write are what the
// user's own `drizzle-kit generate` would write), ours only when the project has none or one too old to run safely;
// and a drizzle-kit is never run beside a drizzle-orm of the other line. Reads package.json files only: no user code
// runs here, so the main thread may call it on every request (it is a few stat calls).
import fs from 'node:fs';
import path from 'node:path';

export type DrizzleLine = '0.x' | '1.x';

export interface InstalledPackage {
  version: string;
  /** The package's real folder (symlinks followed, as Node resolves it). */
  dir: string;
  /** The subpaths its `exports` map declares (".", "./cli", …), when it has one. */
  exports?: string[];
}

export interface ProjectDrizzle {
  kit?: InstalledPackage;
  orm?: InstalledPackage;
  /** The drizzle-orm the project's drizzle-kit imports: resolved from the kit's own folder, as Node will. */
  kitOrm?: InstalledPackage;
}

/** The drizzle-kit the kit worker runs: the project's (at `dir`), or the one this server ships. */
export interface KitRef {
  source: 'project' | 'bundled';
  line: DrizzleLine;
  version: string;
  /** The package folder, for the project's kit. */
  dir?: string;
}

export interface KitChoice {
  kit: KitRef;
  /** Why the project's own drizzle-kit is not the one that runs, when it has one. */
  note?: string;
  /** Set when no drizzle-kit can be run for this project: what is wrong and what to do. */
  refusal?: { message: string; hint: string };
}

/** The first drizzle-kit 0.x that refuses to prompt without a TTY (older ones would draw on stdout and read stdin). */
export const MIN_PROJECT_KIT_0X = '0.31.10';

export function lineOf(version: string): DrizzleLine {
  const major = Number.parseInt(version, 10);
  return Number.isFinite(major) && major >= 1 ? '1.x' : '0.x';
}

/** Node's lookup of a bare package from `fromDir` (each ancestor's node_modules), ignoring `exports`. */
export function findPackage(name: string, fromDir: string): InstalledPackage | undefined {
  for (let dir = path.resolve(fromDir); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name, 'package.json');
    const found = readVersion(candidate);
    if (found) return found;
    if (path.dirname(dir) === dir) return undefined;
  }
}

function readVersion(packageJson: string): InstalledPackage | undefined {
  try {
    const real = fs.realpathSync(packageJson);
    const { version, exports } = JSON.parse(fs.readFileSync(real, 'utf8')) as {
      version?: unknown;
      exports?: unknown;
    };
    if (typeof version !== 'string') return undefined;
    const subpaths =
      typeof exports === 'object' &&
      exports !== null &&
      Object.keys(exports).every((key) => key.startsWith('.'))
        ? Object.keys(exports)
        : undefined;
    return { version, dir: path.dirname(real), ...(subpaths ? { exports: subpaths } : {}) };
  } catch {
    return undefined;
  }
}

/** The project's drizzle-kit and drizzle-orm, looked up from its root as its own scripts would find them. */
export function findProjectDrizzle(root: string): ProjectDrizzle {
  const kit = findPackage('drizzle-kit', root);
  const orm = findPackage('drizzle-orm', root);
  // Node resolves the kit's own imports from its real folder: in a monorepo or a linked install that can be
  // another drizzle-orm than the project's.
  const kitOrm = kit ? findPackage('drizzle-orm', kit.dir) : undefined;
  return { ...(kit ? { kit } : {}), ...(orm ? { orm } : {}), ...(kitOrm ? { kitOrm } : {}) };
}

/** Decides which drizzle-kit runs for a project (see the module header). `bundledVersion`: ours. */
export function chooseKit(found: ProjectDrizzle, bundledVersion: string): KitChoice {
  const bundled: KitRef = { source: 'bundled', line: '0.x', version: bundledVersion };
  const { kit, kitOrm } = found;
  if (!kit) return { kit: bundled };
  const line = lineOf(kit.version);
  if (line === '1.x') {
    const ormLine = kitOrm ? lineOf(kitOrm.version) : undefined;
    if (ormLine !== '1.x') {
      return {
        kit: { source: 'project', line, version: kit.version, dir: kit.dir },
        refusal: {
          message: `The project's drizzle-kit ${kit.version} needs drizzle-orm 1.x beside it, but it would load ${kitOrm ? `drizzle-orm ${kitOrm.version} (${kitOrm.dir})` : 'no drizzle-orm at all'}.`,
          hint: `Install the matching pair in the project, e.g. \`npm i drizzle-orm@${kit.version} && npm i -D drizzle-kit@${kit.version}\`.`,
        },
      };
    }
    if (kit.exports && !kit.exports.includes('./cli'))
      return {
        kit: { source: 'project', line, version: kit.version, dir: kit.dir },
        refusal: preSdkRefusal(kit.version, './cli'),
      };
    return { kit: { source: 'project', line, version: kit.version, dir: kit.dir } };
  }
  if (compareVersions(kit.version, MIN_PROJECT_KIT_0X) < 0) {
    return {
      kit: bundled,
      note: `The project's drizzle-kit ${kit.version} is older than ${MIN_PROJECT_KIT_0X} and may prompt on the server's own input/output, so this server runs its own drizzle-kit ${bundledVersion} (same 0.x journal format). Upgrade the project's drizzle-kit to ${MIN_PROJECT_KIT_0X} or later to have it run instead.`,
    };
  }
  return { kit: { source: 'project', line, version: kit.version, dir: kit.dir } };
}

/** The drizzle-kit 1.x we suggest installing. */
export const SUGGESTED_KIT_1X = '1.0.0-rc.5';

/**
 * Why a drizzle-kit 1.0 pre-release from before 1.0.0-rc.4 (betas, rc.1–rc.3; a public bun app pins 1.0.0-beta.9)
 * cannot be driven: it lacks the entry points (`drizzle-kit/cli`, `drizzle-kit/payload/sqlite`) through which this
 * server runs drizzle-kit 1.x without prompts.
 */
export function preSdkRefusal(version: string, subpath: string): { message: string; hint: string } {
  return {
    message: `The project's drizzle-kit ${version} is a Drizzle 1.0 pre-release without the programmatic interface ("drizzle-kit${subpath.slice(1)}", added in 1.0.0-rc.4) through which this server runs drizzle-kit 1.x without prompts, so it cannot generate migrations or compare schema.ts with it. Migration status, dry runs, applies and inspect_schema do not need it.`,
    hint: `Upgrade drizzle-kit and drizzle-orm together to 1.0.0-rc.4 or later in the project (e.g. npm i -D drizzle-kit@${SUGGESTED_KIT_1X} && npm i drizzle-orm@${SUGGESTED_KIT_1X}); or generate with the project's own drizzle-kit (npx drizzle-kit generate) and apply with apply_migrations.`,
  };
}

/** Numeric comparison of `major.minor.patch` (a pre-release sorts before its release). */
export function compareVersions(a: string, b: string): number {
  const parse = (version: string) => {
    const [core = '', pre] = version.split('-', 2);
    return { parts: core.split('.').map((part) => Number.parseInt(part, 10) || 0), pre };
  };
  const x = parse(a);
  const y = parse(b);
  for (let i = 0; i < 3; i++) {
    const diff = (x.parts[i] ?? 0) - (y.parts[i] ?? 0);
    if (diff !== 0) return diff;
  }
  if (x.pre === y.pre) return 0;
  if (x.pre === undefined) return 1;
  if (y.pre === undefined) return -1;
  return x.pre < y.pre ? -1 : 1;
}
