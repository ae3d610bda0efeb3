// `npm run bench [-- options]`: builds (or reuses) the dataset, runs the selected scenarios against the floors,
// ours and the peers, prints one table per scenario with ratios and the targets, and writes the whole
// result as JSON. Timing only: behaviour is the tests' job, and this never runs under `npm test`.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ALL_CONTENDERS, floorSdk, inProcessFloor, type Contender } from './contenders.js';
import { BENCH_ROOT, buildFloorServer, ensureShop, REPO_ROOT } from './dataset.js';
import { fmtBytes, fmtMs, fmtRatio } from './lib/stats.js';
import {
  FULL,
  QUICK,
  SCENARIOS,
  type Row,
  type ScenarioResult,
  type Settings,
  type Target,
} from './scenarios.js';

const HELP = `usage: npm run bench -- [options]

  --quick                 small counts (seconds to a few minutes); also BENCH_QUICK=1
  --scenarios a,b         run only these (default all): ${SCENARIOS.map((s) => s.id).join(', ')}; also BENCH_SCENARIOS
  --contenders a,b        run only these (default all available): ${ALL_CONTENDERS.map((c) => c.id).join(', ')}; also BENCH_CONTENDERS
  --skip a,b              leave these contenders out
  --big-mib N             size of the apply_migrations database (default 1024 full, 64 quick); also BENCH_BIG_MIB
  --audit-rows N          rows in the audit log for read_audit_log (default 1000000); also BENCH_AUDIT_ROWS
  --rounds N              alternating rounds per scenario
  --out FILE              JSON output (default bench/results/latest.json)
  -h, --help
`;

function parseList(value: string | undefined): string[] | undefined {
  return value
    ? value
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : undefined;
}

function positive(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a whole number ≥ 1 (got ${value})`);
  return n;
}

function loadSettings() {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean' },
      scenarios: { type: 'string' },
      contenders: { type: 'string' },
      skip: { type: 'string' },
      'big-mib': { type: 'string' },
      'audit-rows': { type: 'string' },
      rounds: { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    process.exit(0);
  }
  const env = process.env;
  const quick = values.quick ?? ['1', 'true', 'yes'].includes(env.BENCH_QUICK ?? '');
  const settings: Settings = { ...(quick ? QUICK : FULL) };
  settings.bigMiB = positive('--big-mib', values['big-mib'] ?? env.BENCH_BIG_MIB) ?? settings.bigMiB;
  settings.auditRows =
    positive('--audit-rows', values['audit-rows'] ?? env.BENCH_AUDIT_ROWS) ?? settings.auditRows;
  settings.rounds = positive('--rounds', values.rounds) ?? settings.rounds;
  const scenarioIds = parseList(values.scenarios ?? env.BENCH_SCENARIOS);
  const contenderIds = parseList(values.contenders ?? env.BENCH_CONTENDERS);
  const skip = parseList(values.skip) ?? [];
  for (const id of scenarioIds ?? [])
    if (!SCENARIOS.some((s) => s.id === id))
      throw new Error(`unknown scenario ${id}; known: ${SCENARIOS.map((s) => s.id).join(', ')}`);
  for (const id of [...(contenderIds ?? []), ...skip])
    if (!ALL_CONTENDERS.some((c) => c.id === id))
      throw new Error(`unknown contender ${id}; known: ${ALL_CONTENDERS.map((c) => c.id).join(', ')}`);
  return {
    settings,
    scenarios: SCENARIOS.filter((s) => !scenarioIds || scenarioIds.includes(s.id)),
    contenders: ALL_CONTENDERS.filter(
      (c) => (!contenderIds || contenderIds.includes(c.id)) && !skip.includes(c.id),
    ),
    out: path.resolve(values.out ?? path.join(REPO_ROOT, 'bench/results/latest.json')),
  };
}

const log = (message: string) => process.stderr.write(`${message}\n`);

function uptime(): string {
  const r = spawnSync('uptime', { encoding: 'utf8' });
  return r.status === 0
    ? r.stdout.trim()
    : `loadavg ${os
        .loadavg()
        .map((n) => n.toFixed(2))
        .join(' ')}`;
}

function formatValue(value: number | string | undefined, unit: string | undefined): string {
  if (value === undefined) return '—';
  if (typeof value === 'string') return value;
  switch (unit) {
    case 'bytes':
      return fmtBytes(value);
    case 'ms':
      return fmtMs(value);
    case 'ratio':
      return fmtRatio(value);
    case 'percent':
      return `${value.toFixed(1)} %`;
    case 'per-s':
      return `${value.toFixed(0)}/s`;
    default:
      return Number.isInteger(value) ? String(value) : value.toFixed(1);
  }
}

function pad(cells: string[][]): string {
  const widths = cells[0]!.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? '').length)));
  return cells
    .map((row) =>
      row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  '),
    )
    .join('\n');
}

function targetLine(t: Target): string {
  const mark = t.pass === undefined ? 'n/a ' : t.pass ? 'PASS' : 'FAIL';
  const show = (n: number) =>
    t.unit === 'ms' ? fmtMs(n) : t.unit === 'percent' ? `${n.toFixed(1)} %` : fmtRatio(n);
  const measured =
    t.measured === undefined || !Number.isFinite(t.measured) ? 'not measured' : show(t.measured);
  return `  [${mark}] ${t.label}: ${measured} (target ${t.op} ${show(t.limit)})`;
}

export function renderScenario(result: ScenarioResult): string {
  const floorOf = (id: string) => result.rows.find((r) => r.contender === id && r.latency)?.latency?.median;
  const floors = [floorSdk.id, inProcessFloor.id].filter((id) => floorOf(id) !== undefined);
  const valueKeys = [...new Set(result.rows.flatMap((r) => Object.keys(r.values)))];
  const unitOf = (key: string) => result.rows.find((r) => r.units?.[key])?.units?.[key];
  const header = ['contender', 'median', 'p95', 'p99', 'n', ...floors.map((f) => `×${f}`), ...valueKeys];
  const body = result.rows.map((r: Row) => [
    r.contender,
    fmtMs(r.latency?.median),
    fmtMs(r.latency?.p95),
    fmtMs(r.latency?.p99),
    r.latency ? String(r.latency.n) : '—',
    ...floors.map((f) => (r.latency ? fmtRatio(r.latency.median / floorOf(f)!) : '—')),
    ...valueKeys.map((k) => formatValue(r.values[k], unitOf(k))),
  ]);
  const lines = [`\n== ${result.id}: ${result.title}`, pad([header, ...body])];
  for (const r of result.rows) if (r.error) lines.push(`  ! ${r.contender}: ${r.error}`);
  for (const t of result.targets) lines.push(targetLine(t));
  for (const n of result.notes) lines.push(`  · ${n}`);
  return lines.join('\n');
}

async function main(): Promise<void> {
  const { settings, scenarios, contenders, out } = loadSettings();
  const startedAt = new Date().toISOString();
  const loadBefore = uptime();
  log(
    `bench ${settings.quick ? '(quick)' : '(full)'} — ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}; ${loadBefore}`,
  );

  const workDir = path.join(BENCH_ROOT, 'work');
  fs.mkdirSync(workDir, { recursive: true });
  await buildFloorServer();
  const shop = await ensureShop(log);
  const available: Contender[] = [];
  const skipped: Record<string, string> = {};
  for (const c of contenders) {
    const why = c.unavailable();
    if (why) {
      skipped[c.id] = why;
      log(`skipping ${c.id}: ${why}`);
    } else available.push(c);
  }

  const results: ScenarioResult[] = [];
  for (const scenario of scenarios) {
    log(`\n… ${scenario.id}`);
    const t0 = Date.now();
    try {
      const result = await scenario.run({ settings, contenders: available, shop, log });
      results.push(result);
      process.stdout.write(renderScenario(result) + '\n');
    } catch (error) {
      log(`${scenario.id} failed: ${(error as Error).stack ?? String(error)}`);
      results.push({
        id: scenario.id,
        title: scenario.title,
        rows: [],
        targets: [],
        notes: [`failed: ${(error as Error).message}`],
      });
    }
    log(`  (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  }

  for (const entry of fs.readdirSync(workDir))
    if (entry.startsWith(`ours-audit-${process.pid}.db`))
      fs.rmSync(path.join(workDir, entry), { force: true });
  const loadAfter = uptime();
  const allTargets = results.flatMap((r) => r.targets);
  process.stdout.write(`\n== targets (issue 5)\n${allTargets.map(targetLine).join('\n')}\n`);
  process.stdout.write(
    `\nmachine: ${os.cpus().length} cores, Node ${process.version}\nload before: ${loadBefore}\nload after:  ${loadAfter}\n`,
  );
  for (const [id, why] of Object.entries(skipped)) process.stdout.write(`skipped ${id}: ${why}\n`);

  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(
    out,
    JSON.stringify(
      {
        startedAt,
        finishedAt: new Date().toISOString(),
        mode: settings.quick ? 'quick' : 'full',
        settings,
        machine: {
          cpus: os.cpus().length,
          model: os.cpus()[0]?.model,
          node: process.version,
          memory: os.totalmem(),
          loadBefore,
          loadAfter,
        },
        dataset: { dir: shop.dir, counts: shop.counts, sizeBytes: shop.sizeBytes },
        contenders: ALL_CONTENDERS.map((c) => ({
          id: c.id,
          kind: c.kind,
          description: c.description,
          skipped: skipped[c.id],
        })),
        scenarios: results,
      },
      null,
      2,
    ),
  );
  log(`\nwrote ${path.relative(process.cwd(), out)}`);
}

await main();
