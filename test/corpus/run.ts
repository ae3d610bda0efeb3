// Runs the built CLI against a corpus of public Drizzle + SQLite projects checked out outside this repository, the
// way a new user would: each tool call is its own `drizzle-sqlite-mcp call …` process on a fresh temporary database,
// once with the project as working directory and once from `/` (GUI clients start servers elsewhere). It records
// what each step did — ok / refused / error / crash / hang — with output sizes, and writes a JSON file and a
// markdown table. Nothing here is a test: it measures, and never fails because a project fails.
//
//   node --import tsx test/corpus/run.ts [--corpus /work/corpus] [--only id,id] [--label before]
//                                        [--timeout-ms 180000] [--out test/corpus/results]
//
// The corpus projects are listed in projects.json (repo, commit, subfolder, config); check each out into
// <corpus>/<owner>+<name> and install its dependencies first (see README.md). Their code is never copied here.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

interface CorpusProject {
  id: string;
  repo: string;
  commit: string;
  licence: string;
  /** Folder of the drizzle config, relative to the checkout. */
  dir: string;
  /** Config file relative to `dir`, when it is not drizzle.config.ts there. */
  config?: string;
  /** Migrations folder relative to `dir` (restored after generate_migration, which may write into it). */
  out: string;
  /** The drizzle versions the project asks for (documentation: the runner uses whatever is installed). */
  kit: string;
  /**
   * Environment the user's MCP client config would pass (for projects whose config reads settings only from the
   * environment, loaded by a wrapper such as dotenv-cli). "$WORK" is replaced by the run's scratch folder.
   */
  env?: Record<string, string>;
  idioms: string[];
}

type Outcome = 'ok' | 'refused' | 'error' | 'crash' | 'hang';

interface StepResult {
  step: string;
  outcome: Outcome;
  exitCode: number | null;
  signal: string | null;
  ms: number;
  stdoutBytes: number;
  /** The result as a model reads it: the CLI prints it indented, MCP sends it compact (the budgets' measure). */
  resultBytes?: number;
  /** Error code from the CLI's JSON error line, when there is one. */
  code?: string;
  /** First line of the error message, or a one-line summary of the result. */
  summary: string;
  /** Stack frames seen on stderr (a crash leaking internals). */
  stackTrace?: boolean;
  /** stderr lines that are not the final JSON error (logs), first few. */
  logs?: string[];
  /** Files the step left inside the project or HOME (own-db step). */
  created?: string[];
}

interface RunResult {
  project: string;
  cwd: 'project' | 'root';
  steps: StepResult[];
}

/** What the project's own drizzle-kit says about its schema vs its last snapshot: the ground truth for "no changes". */
interface ReferenceResult {
  project: string;
  drizzleKit: string;
  outcome: 'no changes' | 'generated' | 'error' | 'hang' | 'not installed';
  summary: string;
}

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../..');
const bin = path.join(repoRoot, 'dist/index.js');

function parseArgs(argv: string[]): Record<string, string> {
  const args: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const key = argv[i];
    const value = argv[i + 1];
    if (key?.startsWith('--') && value !== undefined) {
      args[key.slice(2)] = value;
      i++;
    }
  }
  return args;
}

const args = parseArgs(process.argv.slice(2));
const corpusDir = path.resolve(args.corpus ?? process.env.CORPUS_DIR ?? '/work/corpus');
const label = args.label ?? 'before';
const timeoutMs = Number(args['timeout-ms'] ?? 180_000);
const outDir = path.resolve(args.out ?? path.join(here, 'results'));
const only = args.only?.split(',');

const projects = (
  JSON.parse(fs.readFileSync(path.join(here, 'projects.json'), 'utf8')) as CorpusProject[]
).filter((p) => !only || only.includes(p.id));

interface Spawned {
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  ms: number;
  timedOut: boolean;
}

/** Runs `node script …args` with stdin closed; a run past the timeout is killed with its whole process group. */
function runNode(
  script: string,
  scriptArgs: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
): Promise<Spawned> {
  return new Promise((resolve) => {
    const started = performance.now();
    // Own process group, so a hang is killed with everything it started (kit worker, query host).
    const child = spawn(process.execPath, [script, ...scriptArgs], {
      cwd,
      env,
      detached: true,
      stdio: 'pipe',
    });
    child.stdin.end();
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, timeoutMs);
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer);
      resolve({ exitCode, signal, stdout, stderr, ms: Math.round(performance.now() - started), timedOut });
    });
  });
}

/**
 * The first line of a message, without any migration statement it quotes: the corpus projects' SQL stays out of
 * the committed results (several are AGPL).
 */
function firstLine(text: unknown, max = 220): string {
  const line = (String(text ?? '').split('\n')[0] ?? '').replace(
    /(failed at statement \d+ of \d+): .*/,
    '$1: <statement omitted>',
  );
  return line.length > max ? `${line.slice(0, max)}…` : line;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** One-line description of a successful result, per tool. */
function summarise(tool: string, output: Record<string, unknown>): string {
  if (tool === 'migration_status') {
    const counts = isRecord(output.counts) ? output.counts : {};
    const parts = Object.entries(counts)
      .filter(([, n]) => n !== 0)
      .map(([k, n]) => `${k} ${String(n)}`);
    const drift = isRecord(output.drift) ? output.drift : undefined;
    const db = drift && isRecord(drift.database) ? drift.database.inSync : undefined;
    const schema = drift && isRecord(drift.schema) ? drift.schema.inSync : undefined;
    return `${parts.join(', ') || 'no migrations'}; consistent=${String(output.consistent)}; db-drift=${
      db === undefined ? '-' : db ? 'none' : 'yes'
    }; schema-drift=${schema === undefined ? '-' : schema ? 'none' : 'yes'}`;
  }
  if (tool === 'apply_migrations') {
    const migrations = Array.isArray(output.migrations) ? output.migrations.length : 0;
    const lists = Object.entries(output)
      .filter(
        ([key, value]) =>
          Array.isArray(value) && value.length > 0 && key !== 'migrations' && key !== 'rowCounts',
      )
      .map(([key, value]) => `${key} ${(value as unknown[]).length}`);
    return `status=${String(output.status)} ok=${String(output.ok)} migrations=${migrations}${
      lists.length ? ` ${lists.join(', ')}` : ''
    }${output.ok === false && output.next ? `: ${firstLine(output.next, 160)}` : ''}`;
  }
  if (tool === 'inspect_schema') {
    const tables = Array.isArray(output.tables) ? output.tables.length : '?';
    const views = Array.isArray(output.views) ? output.views.length : 0;
    const triggers = Array.isArray(output.triggers) ? output.triggers.length : 0;
    return `${tables} tables, ${views} views, ${triggers} triggers`;
  }
  if (tool === 'generate_migration') {
    const files = Array.isArray(output.files) ? ` files=${output.files.length}` : '';
    return `status=${String(output.status)}${files}${output.message ? `: ${firstLine(output.message, 160)}` : ''}`;
  }
  return Object.keys(output).slice(0, 6).join(',');
}

async function step(
  name: string,
  tool: string,
  toolArgs: Record<string, unknown>,
  base: { project: CorpusProject; projectDir: string; cwd: string; env: NodeJS.ProcessEnv },
  options: { db?: string; migrateOnStart?: boolean; extra?: string[] } = {},
): Promise<StepResult> {
  const cliArgs = ['call', tool, '--project', base.projectDir];
  if (base.project.config) cliArgs.push('--config', path.join(base.projectDir, base.project.config));
  if (options.db) cliArgs.push('--db', options.db);
  if (!options.migrateOnStart) cliArgs.push('--no-migrate-on-start');
  cliArgs.push('--log-level', 'warn', ...(options.extra ?? []), '--args', JSON.stringify(toolArgs));
  const run = await runNode(bin, cliArgs, base.cwd, base.env);
  const stderrLines = run.stderr.split('\n').filter((line) => line.trim() !== '');
  const lastLine = stderrLines.at(-1) ?? '';
  const errorJson = parseJson(lastLine);
  const stackTrace = /^\s+at .+\(.*:\d+:\d+\)$/m.test(run.stderr);
  const logs = stderrLines
    .slice(0, isRecord(errorJson) ? -1 : undefined)
    .slice(0, 4)
    .map((l) => firstLine(l, 300));
  const common = {
    step: name,
    exitCode: run.exitCode,
    signal: run.signal,
    ms: run.ms,
    stdoutBytes: Buffer.byteLength(run.stdout),
    ...(isRecord(parseJson(run.stdout))
      ? { resultBytes: Buffer.byteLength(JSON.stringify(parseJson(run.stdout))) }
      : {}),
    ...(stackTrace ? { stackTrace } : {}),
    ...(logs.length ? { logs } : {}),
  };
  if (run.timedOut) return { ...common, outcome: 'hang', summary: `no answer within ${timeoutMs} ms` };
  if (run.exitCode === 0) {
    const output = parseJson(run.stdout);
    if (!isRecord(output)) return { ...common, outcome: 'crash', summary: 'exit 0 but stdout is not JSON' };
    // generate_migration answers its own failures as a result: count them as what they are.
    if (tool === 'generate_migration' && (output.status === 'error' || output.status === 'missing_hints')) {
      return {
        ...common,
        outcome: output.status === 'error' ? 'error' : 'refused',
        code: `status=${output.status}`,
        summary: summarise(tool, output),
      };
    }
    return { ...common, outcome: 'ok', summary: summarise(tool, output) };
  }
  if ((run.exitCode === 1 || run.exitCode === 2 || run.exitCode === 3) && isRecord(errorJson)) {
    return {
      ...common,
      outcome: run.exitCode === 3 ? 'refused' : 'error',
      code: String(errorJson.code),
      summary: firstLine(errorJson.message),
    };
  }
  return {
    ...common,
    outcome: 'crash',
    summary: `exit ${String(run.exitCode)}${run.signal ? ` (${run.signal})` : ''}: ${firstLine(lastLine)}`,
  };
}

/** Removes `dir` and its parents while they are empty and were not there before, up to (not including) `stop`. */
function removeEmptyParents(dir: string, stop: string, keep: ReadonlySet<string>): void {
  for (let at = dir; at.startsWith(`${stop}${path.sep}`) && !keep.has(at); at = path.dirname(at)) {
    try {
      fs.rmdirSync(at);
    } catch {
      return; // not empty, or already gone
    }
  }
}

/** Files under `dir` (not node_modules/.git), to see what a step created in the user's tree. */
function listFiles(dir: string, limit = 200_000, folders = false): Set<string> {
  const found = new Set<string>();
  const walk = (current: string) => {
    if (found.size > limit) return;
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(current, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      if (entry.name === 'node_modules' || entry.name === '.git') continue;
      const full = path.join(current, entry.name);
      if (entry.isDirectory()) {
        if (folders) found.add(full);
        walk(full);
      } else if (!folders) found.add(full);
    }
  };
  walk(dir);
  return found;
}

async function runProject(project: CorpusProject, cwdMode: 'project' | 'root'): Promise<RunResult> {
  const checkout = path.join(corpusDir, project.repo.replace('/', '+'));
  const projectDir = path.join(checkout, project.dir);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), `corpus-${project.id}-`));
  const home = path.join(work, 'home');
  fs.mkdirSync(home);
  const env = clientEnv(project, home, work);
  const base = { project, projectDir, cwd: cwdMode === 'project' ? projectDir : '/', env };
  const steps: StepResult[] = [];
  const keep = (record: StepResult): StepResult => {
    steps.push(record);
    process.stderr.write(
      `  ${project.id} [${cwdMode}] ${record.step}: ${record.outcome} ${record.code ?? ''} ${record.summary}\n`,
    );
    return record;
  };

  // 1. The project's own database, as configured (no --db): does the config resolve from this cwd?
  const before = new Set([...listFiles(checkout), ...listFiles(home)]);
  const foldersBefore = listFiles(checkout, undefined, true);
  const own = keep(await step('own-db status', 'migration_status', {}, base));
  const created = [...listFiles(checkout), ...listFiles(home)].filter((file) => !before.has(file));
  if (created.length > 0) {
    own.created = created.map((file) =>
      file.startsWith(home) ? `~/${path.relative(home, file)}` : path.relative(checkout, file),
    );
    for (const file of created) fs.rmSync(file, { force: true });
    // Folders the step created for them (the backup folder beside the database) go too, once empty.
    for (const file of created) removeEmptyParents(path.dirname(file), checkout, foldersBefore);
  }

  // 2. What start-up does to a new database (migrate on start), seen through the first call's answer.
  keep(
    await step('start (migrate on start)', 'migration_status', {}, base, {
      db: path.join(work, 'start.db'),
      migrateOnStart: true,
    }),
  );

  // 3. The sequence a user follows on a new database.
  const db = path.join(work, 'app.db');
  const opts = { db };
  keep(await step('status (empty db)', 'migration_status', {}, base, opts));
  keep(await step('dry run', 'apply_migrations', { dryRun: true }, base, opts));
  const apply = keep(await step('apply', 'apply_migrations', {}, base, opts));
  if (apply.outcome === 'refused') {
    keep(
      await step('apply --allow-destructive', 'apply_migrations', {}, base, {
        ...opts,
        extra: ['--allow-destructive'],
      }),
    );
  }
  keep(await step('inspect', 'inspect_schema', {}, base, opts));
  keep(await step('status (after apply)', 'migration_status', {}, base, opts));

  // generate_migration writes into the project's migrations folder when the schema differs: restore it after.
  const outPath = path.resolve(projectDir, project.out);
  const saved = path.join(work, 'out-copy');
  const hadOut = fs.existsSync(outPath);
  if (hadOut) fs.cpSync(outPath, saved, { recursive: true });
  try {
    keep(await step('generate', 'generate_migration', {}, base, opts));
  } finally {
    fs.rmSync(outPath, { recursive: true, force: true });
    if (hadOut) fs.cpSync(saved, outPath, { recursive: true });
  }
  fs.rmSync(work, { recursive: true, force: true });
  return { project: project.id, cwd: cwdMode, steps };
}

/**
 * The small environment a GUI client passes, plus what the project's entry in projects.json says its client config
 * would add. HOME is a scratch folder, so a config that writes under the user's home leaves nothing behind.
 */
function clientEnv(project: CorpusProject, home: string, work: string): NodeJS.ProcessEnv {
  const extra = Object.entries(project.env ?? {}).map(([key, value]) => [key, value.replace('$WORK', work)]);
  return {
    PATH: process.env.PATH,
    HOME: home,
    USER: process.env.USER,
    LANG: 'C.UTF-8',
    ...Object.fromEntries(extra),
  };
}

/** Node's lookup of a package folder (node_modules in `from` and each parent), without its exports map. */
function findPackageDir(name: string, from: string): string | undefined {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (fs.existsSync(path.join(candidate, 'package.json'))) return fs.realpathSync(candidate);
    if (path.dirname(dir) === dir) return undefined;
  }
}

/**
 * Runs `drizzle-kit generate` from the project's own node_modules, in the project folder, as its user would. The
 * migrations folder is restored afterwards. Prompts cannot be answered (stdin is closed): that shows as an error.
 */
async function reference(project: CorpusProject): Promise<ReferenceResult> {
  const projectDir = path.join(corpusDir, project.repo.replace('/', '+'), project.dir);
  const kitDir = findPackageDir('drizzle-kit', projectDir);
  if (!kitDir) {
    return {
      project: project.id,
      drizzleKit: '-',
      outcome: 'not installed',
      summary: 'no drizzle-kit in node_modules',
    };
  }
  const kitPackage = path.join(kitDir, 'package.json');
  const version = String((JSON.parse(fs.readFileSync(kitPackage, 'utf8')) as { version?: string }).version);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), `corpus-ref-${project.id}-`));
  const outPath = path.resolve(projectDir, project.out);
  const hadOut = fs.existsSync(outPath);
  if (hadOut) fs.cpSync(outPath, path.join(work, 'out'), { recursive: true });
  const cliArgs = ['generate', ...(project.config ? ['--config', project.config] : [])];
  const env = clientEnv(project, work, work);
  try {
    let run = await runNode(path.join(kitDir, 'bin.cjs'), cliArgs, projectDir, env);
    // drizzle-kit 0.20 and older name the command per dialect.
    if (/unknown command 'generate'/.test(run.stderr + run.stdout)) {
      run = await runNode(
        path.join(kitDir, 'bin.cjs'),
        ['generate:sqlite', ...cliArgs.slice(1)],
        projectDir,
        env,
      );
    }
    const text = `${run.stdout}\n${run.stderr}`.replace(/\u001b\[[0-9;]*[A-Za-z]/g, '');
    const drizzleKit = `drizzle-kit ${version}`;
    if (run.timedOut)
      return { project: project.id, drizzleKit, outcome: 'hang', summary: `no exit within ${timeoutMs} ms` };
    if (/No schema changes/i.test(text))
      return { project: project.id, drizzleKit, outcome: 'no changes', summary: 'No schema changes' };
    const written = /Your SQL migration file ➜ (\S+)/.exec(text);
    if (written)
      return { project: project.id, drizzleKit, outcome: 'generated', summary: `wrote ${written[1]}` };
    const lines = text
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !/^Reading config|^No config path/.test(l));
    const error = lines.find((l) => /error|Error|✗|cannot|Cannot|not /.test(l)) ?? lines.at(-1) ?? '';
    return {
      project: project.id,
      drizzleKit,
      outcome: 'error',
      summary: `exit ${String(run.exitCode)}: ${firstLine(error)}`,
    };
  } finally {
    fs.rmSync(outPath, { recursive: true, force: true });
    if (hadOut) fs.cpSync(path.join(work, 'out'), outPath, { recursive: true });
    fs.rmSync(work, { recursive: true, force: true });
  }
}

function cell(result: StepResult | undefined): string {
  if (!result) return '—';
  const bytes = result.resultBytes ?? result.stdoutBytes;
  const size = bytes > 0 ? ` ${(bytes / 1024).toFixed(1)} kB` : '';
  switch (result.outcome) {
    case 'ok':
      if (result.summary.startsWith('status=no_changes')) return 'ok: no changes';
      if (result.summary.startsWith('status=ok')) return `ok: generated`;
      return `ok${size}`;
    case 'refused':
      return `refused ${result.code ?? ''}`;
    case 'error':
      return `error ${result.code ?? ''}`;
    default:
      return `**${result.outcome}**`;
  }
}

function markdown(results: RunResult[], references: ReferenceResult[]): string {
  const stepNames = [...new Set(results.flatMap((r) => r.steps.map((s) => s.step)))];
  const lines = [
    `# Corpus run: ${label}`,
    '',
    `${new Date().toISOString()} · ${bin} · timeout ${timeoutMs} ms per step`,
    '',
    `| project | cwd | ${stepNames.join(' | ')} |`,
    `| --- | --- | ${stepNames.map(() => '---').join(' | ')} |`,
  ];
  for (const result of results) {
    const byName = new Map(result.steps.map((s) => [s.step, s]));
    lines.push(
      `| ${result.project} | ${result.cwd} | ${stepNames.map((n) => cell(byName.get(n))).join(' | ')} |`,
    );
  }
  lines.push('', "## The project's own `drizzle-kit generate` (reference for the generate step)", '');
  lines.push('| project | drizzle-kit | outcome | summary |', '| --- | --- | --- | --- |');
  for (const r of references)
    lines.push(`| ${r.project} | ${r.drizzleKit} | ${r.outcome} | ${r.summary.replace(/\|/g, '\\|')} |`);
  lines.push('', '## Details', '');
  for (const result of results) {
    lines.push(`### ${result.project} (cwd: ${result.cwd})`, '');
    for (const s of result.steps) {
      const extra = [
        s.stackTrace ? 'stack trace on stderr' : '',
        s.created ? `created ${s.created.join(', ')}` : '',
      ].filter(Boolean);
      lines.push(
        `- ${s.step}: ${s.outcome}${s.code ? ` ${s.code}` : ''} (${s.ms} ms, ${s.stdoutBytes} B) — ${s.summary}${
          extra.length ? ` [${extra.join('; ')}]` : ''
        }`,
      );
    }
    lines.push('');
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  if (!fs.existsSync(bin)) throw new Error(`${bin} is missing: run npm run build first.`);
  const results: RunResult[] = [];
  const references: ReferenceResult[] = [];
  for (const project of projects) {
    const checkout = path.join(corpusDir, project.repo.replace('/', '+'));
    if (!fs.existsSync(path.join(checkout, project.dir))) {
      process.stderr.write(`skip ${project.id}: ${checkout} is not checked out\n`);
      continue;
    }
    references.push(await reference(project));
    process.stderr.write(`${project.id} reference: ${JSON.stringify(references.at(-1))}\n`);
    for (const cwdMode of ['project', 'root'] as const) {
      process.stderr.write(`${project.id} (cwd: ${cwdMode})\n`);
      results.push(await runProject(project, cwdMode));
    }
  }
  fs.mkdirSync(outDir, { recursive: true });
  const suffix = only ? `-${only.join('-')}` : '';
  fs.writeFileSync(
    path.join(outDir, `${label}${suffix}.json`),
    `${JSON.stringify({ label, date: new Date().toISOString(), timeoutMs, references, results }, null, 2)}\n`,
  );
  fs.writeFileSync(path.join(outDir, `${label}${suffix}.md`), `${markdown(results, references)}\n`);
  process.stderr.write(`wrote ${path.join(outDir, `${label}${suffix}`)}.{json,md}\n`);
}

await main();
