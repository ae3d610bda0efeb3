// Imports a user's TypeScript/JavaScript module (drizzle.config.ts, schema files) fresh on every call. Invariant: the
// module's own files are re-read each time (bundled by esbuild into a one-off temp .mjs), while its package imports
// resolve exactly as they would from the user's project — never from wherever this server happens to be installed,
// unless the project has no copy (then ours). Runs inside the kit worker only: importing runs user code.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { SourceMap, type SourceMapPayload, type SourceMapping } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type * as Esbuild from 'esbuild';
import type { BuildFailure, Message, OnResolveResult, Plugin } from 'esbuild';
import { AppError } from '../core/errors.js';
import {
  cachedResolution,
  rememberResolution,
  signaturesBeforeResolving,
  type ResolveKey,
} from './resolve-cache.js';

export interface ImportUserModuleOptions {
  /** Where bare package imports are resolved from first (the user's project root). */
  projectDir: string;
  /** Where they are resolved from when the project has no copy (this package's own folder). */
  fallbackResolveDir: string;
  /** Error code for failures: CONFIG_ERROR for the config file, SCHEMA_LOAD_FAILED for schema files. */
  errorCode: 'CONFIG_ERROR' | 'SCHEMA_LOAD_FAILED';
}

const NOT_BARE = /^(?:[./]|[A-Za-z]:[\\/]|node:|data:|file:)/;

type EsbuildModule = typeof Esbuild;
let esbuildModule: Promise<EsbuildModule> | undefined;
function loadEsbuild(): Promise<EsbuildModule> {
  // Loaded on first use: esbuild's JS API is not needed until a project loads.
  esbuildModule ??= import('esbuild');
  return esbuildModule;
}

/** Bundles `entries` (absolute paths) into one ESM module, imports it, deletes it, and returns each entry's exports. */
export async function importUserModules(
  entries: readonly string[],
  options: ImportUserModuleOptions,
): Promise<Array<Record<string, unknown>>> {
  const esbuild = await loadEsbuild();
  const first = entries[0];
  if (first === undefined) return [];
  // One synthetic entry re-exporting every file as a namespace, so a split schema shares one module graph.
  const stdin = entries.map((file, i) => `export * as m${i} from ${JSON.stringify(file)};`).join('\n');
  const firstDir = path.dirname(first);
  const tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dsm-kit-'));
  const outfile = path.join(tempDir, `${randomUUID()}.mjs`);
  const tsconfig = findTsconfig(firstDir, options.projectDir);
  const buildOptions: Esbuild.BuildOptions = {
    stdin: { contents: stdin, resolveDir: firstDir, sourcefile: '<entry>', loader: 'js' },
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // Mirror Node's own resolution for packages: no "module" field, no "module" condition.
    mainFields: ['main'],
    conditions: ['node'],
    // No source map: making one and having Node decode it on every import cost more than the rest of the import.
    // Only an import that throws needs one, to name the user's file and line; it is made then (userFrameOf).
    sourcemap: false,
    logLevel: 'silent',
    write: true,
    absWorkingDir: options.projectDir,
    tsconfig,
    plugins: [resolvePackagesFrom(options, tsconfig)],
    // CommonJS-era globals, answered for the entry file: the bundle itself lives in the temp folder.
    define: {
      __dirname: JSON.stringify(firstDir),
      __filename: JSON.stringify(first),
      'import.meta.dirname': JSON.stringify(firstDir),
      'import.meta.filename': JSON.stringify(first),
      'import.meta.url': JSON.stringify(pathToFileURL(first).href),
    },
    banner: {
      js: `import { createRequire as __dsmCreateRequire } from 'node:module'; const require = __dsmCreateRequire(${JSON.stringify(first)});`,
    },
  };
  try {
    try {
      await esbuild.build(buildOptions);
    } catch (error) {
      throw buildError(error, entries, options.errorCode);
    }
    let bundle: Record<string, unknown>;
    try {
      bundle = (await import(pathToFileURL(outfile).href)) as Record<string, unknown>;
    } catch (error) {
      const at =
        error instanceof Error ? await userFrameOf(error, esbuild, buildOptions, outfile) : undefined;
      throw importError(error, entries, options.errorCode, at);
    }
    return entries.map((_, i) => (bundle[`m${i}`] ?? {}) as Record<string, unknown>);
  } finally {
    fs.rmSync(tempDir, { recursive: true, force: true });
  }
}

/**
 * The first frame of `error` in the user's own files (file:line:column), through a source map of the bundle that
 * threw. The map comes from building the same input again (esbuild's output is deterministic); it is used only if
 * that build gives the very bundle that was imported, so an edit made meanwhile can never point to the wrong line.
 */
async function userFrameOf(
  error: Error,
  esbuild: EsbuildModule,
  buildOptions: Esbuild.BuildOptions,
  outfile: string,
): Promise<string | undefined> {
  const stack = error.stack ?? '';
  const bundleHref = pathToFileURL(outfile).href;
  if (!stack.includes(outfile) && !stack.includes(bundleHref)) return firstUserFrame(stack);
  let map: SourceMap;
  try {
    const imported = fs.readFileSync(outfile);
    const rebuilt = await esbuild.build({ ...buildOptions, sourcemap: 'external', write: false });
    const js = rebuilt.outputFiles?.find((file) => file.path === outfile);
    const mapFile = rebuilt.outputFiles?.find((file) => file.path === `${outfile}.map`);
    if (!js || !mapFile || !Buffer.from(js.contents).equals(imported)) return undefined;
    map = new SourceMap(JSON.parse(mapFile.text) as SourceMapPayload);
  } catch {
    return undefined;
  }
  const mapped = stack.replace(
    /(?:file:\/\/)?(\/[^\s()]+?):(\d+):(\d+)/g,
    (frame, file: string, line: string, column: string) => {
      if (file !== outfile && `file://${file}` !== bundleHref) return frame;
      const entry = map.findEntry(Number(line) - 1, Number(column) - 1) as Partial<SourceMapping>;
      if (entry.originalSource === undefined || entry.originalLine === undefined) return frame;
      const source = entry.originalSource.startsWith('file:')
        ? fileURLToPath(entry.originalSource)
        : path.resolve(path.dirname(outfile), entry.originalSource);
      return `${source}:${entry.originalLine + 1}:${(entry.originalColumn ?? 0) + 1}`;
    },
  );
  const frame = firstUserFrame(mapped);
  return frame === undefined || frame === outfile || frame.startsWith(`${outfile}:`) ? undefined : frame;
}

/**
 * Keeps package imports external, but pinned to the file the user's project would load (as an absolute URL). Each
 * answer is remembered until a file that package resolution reads changes (see resolve-cache.ts).
 */
function resolvePackagesFrom(options: ImportUserModuleOptions, tsconfig: string | undefined): Plugin {
  return {
    name: 'dsm-resolve-packages',
    setup(build) {
      // Paths starting with "." or "/" are never packages: esbuild resolves them without a round trip to JS.
      build.onResolve({ filter: /^[^./]/ }, async (args) => {
        if (args.pluginData === 'dsm-inner' || args.kind === 'entry-point' || NOT_BARE.test(args.path))
          return undefined;
        const key: ResolveKey = {
          kind: args.kind,
          specifier: args.path,
          resolveDirs: [args.resolveDir || options.projectDir, options.fallbackResolveDir],
          tsconfig,
        };
        const cached = cachedResolution<OnResolveResult>(key);
        if (cached) return { ...cached };
        const attempt = (resolveDir: string) =>
          build.resolve(args.path, {
            kind: args.kind,
            resolveDir,
            importer: args.importer,
            pluginData: 'dsm-inner',
          });
        const [projectDir, fallbackDir] = key.resolveDirs as [string, string];
        let signatures = signaturesBeforeResolving(args.path, projectDir, tsconfig);
        let result = await attempt(projectDir);
        if (result.errors.length > 0) {
          const more = signaturesBeforeResolving(args.path, fallbackDir, tsconfig);
          signatures = signatures && more ? [...signatures, ...more] : undefined;
          result = await attempt(fallbackDir);
        }
        if (result.errors.length > 0) return { errors: result.errors };
        // tsconfig `paths` aliases and node built-ins come back as local files / externals: let esbuild handle them.
        if (result.external || !result.path.split(path.sep).includes('node_modules')) {
          return result.external ? { path: args.path, external: true } : { path: result.path };
        }
        const href =
          args.kind === 'require-call' || args.kind === 'require-resolve'
            ? result.path
            : pathToFileURL(result.path).href;
        const answer: OnResolveResult = { path: href, external: true };
        if (signatures) rememberResolution(key, answer, signatures, result.path);
        return answer;
      });
    },
  };
}

function findTsconfig(fromDir: string, projectDir: string): string | undefined {
  let dir = fromDir;
  for (;;) {
    const candidate = path.join(dir, 'tsconfig.json');
    if (fs.existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir || !isInside(parent, projectDir)) return undefined;
    dir = parent;
  }
}

function isInside(dir: string, root: string): boolean {
  const rel = path.relative(root, dir);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

function describeFiles(entries: readonly string[]): string {
  return entries.length === 1 ? (entries[0] ?? '') : `${entries.length} files (${entries.join(', ')})`;
}

function buildError(
  error: unknown,
  entries: readonly string[],
  code: ImportUserModuleOptions['errorCode'],
): AppError {
  const messages: Message[] = (error as Partial<BuildFailure>).errors ?? [];
  const first = messages[0];
  const where = first?.location
    ? `${first.location.file}:${first.location.line}:${first.location.column + 1}`
    : describeFiles(entries);
  const text =
    messages.length > 0 ? messages.map((m) => m.text).join('; ') : String((error as Error).message ?? error);
  return new AppError(code, `Could not compile ${where}: ${text}`, {
    hint:
      code === 'CONFIG_ERROR'
        ? 'Fix the drizzle config file (it must be valid TypeScript/JavaScript and its imports must resolve), then retry.'
        : 'Fix the schema file at the location shown (syntax error or an import that does not resolve), then retry.',
    details: {
      file: first?.location?.file,
      line: first?.location?.line,
      errors: messages.slice(0, 5).map((m) => m.text),
    },
    cause: error,
  });
}

function importError(
  error: unknown,
  entries: readonly string[],
  code: ImportUserModuleOptions['errorCode'],
  at: string | undefined,
): AppError {
  const message = error instanceof Error ? error.message : String(error);
  return new AppError(code, `Loading ${describeFiles(entries)} threw: ${message}${at ? ` (at ${at})` : ''}`, {
    hint:
      code === 'CONFIG_ERROR'
        ? 'The drizzle config threw while loading; fix it so it can be imported without side effects failing.'
        : 'The schema threw while loading; fix the code at the location shown so the module can be imported.',
    details: { file: at },
    cause: error,
  });
}

/** The first stack frame outside node internals and node_modules: with inline source maps, a user's file and line. */
function firstUserFrame(stack: string): string | undefined {
  for (const line of stack.split('\n').slice(1)) {
    const match = /\(?((?:file:\/\/)?\/[^()]+:\d+:\d+)\)?\s*$/.exec(line.trim());
    if (match?.[1] && !match[1].includes('node_modules') && !match[1].startsWith('node:'))
      return match[1].replace(/^file:\/\//, '');
  }
  return undefined;
}
