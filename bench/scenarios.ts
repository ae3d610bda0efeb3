// The scenarios of issue 5. Each one opens the contenders it applies to, alternates them round by round (the
// order rotates each round, so drift — thermal, page cache, a neighbour's load — hits all of them equally),
// checks every answer is what was asked for, and returns rows for the table plus the issue's targets.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import {
  floorSdk,
  inProcessFloor,
  ours,
  type Answer,
  type Contender,
  type OpenOptions,
  type Session,
} from './contenders.js';
import {
  BENCH_ROOT,
  copyProject,
  drizzleKitGenerate,
  ensureAuditDb,
  ensureBigProject,
  ensureGenProject,
  genSchemaSource,
  mulberry32,
  type Log,
  type ShopDataset,
} from './dataset.js';
import { sampleWhile, treeMemory } from './lib/proc.js';
import { summarize, type Summary } from './lib/stats.js';

export interface Settings {
  quick: boolean;
  rounds: number;
  coldStarts: number;
  pointCalls: number;
  rows1000Calls: number;
  pipelinedCalls: number;
  inFlight: number;
  selectAllRuns: number;
  generateSteps: number;
  applyRuns: number;
  bigMiB: number;
  longCalls: number;
  auditRows: number;
  auditReads: number;
}

export const FULL: Settings = {
  quick: false,
  rounds: 10,
  coldStarts: 20,
  pointCalls: 2000,
  rows1000Calls: 300,
  pipelinedCalls: 4000,
  inFlight: 8,
  selectAllRuns: 3,
  generateSteps: 6,
  applyRuns: 3,
  bigMiB: 1024,
  longCalls: 10_000,
  auditRows: 1_000_000,
  auditReads: 500,
};

export const QUICK: Settings = {
  quick: true,
  rounds: 4,
  coldStarts: 4,
  pointCalls: 400,
  rows1000Calls: 40,
  pipelinedCalls: 400,
  inFlight: 8,
  selectAllRuns: 1,
  generateSteps: 5,
  applyRuns: 1,
  bigMiB: 64,
  longCalls: 1000,
  auditRows: 1_000_000,
  auditReads: 100,
};

export interface Row {
  contender: string;
  /** Per-call latency in ms (or per-run time for scenarios that run once per round). */
  latency?: Summary;
  /** Other measured values; numbers in `units` say how to print them. */
  values: Record<string, number | string | undefined>;
  units?: Record<string, 'ms' | 'bytes' | 'ratio' | 'count' | 'per-s' | 'percent'>;
  error?: string;
}

export interface Target {
  label: string;
  /** The measured value (a ratio or an absolute number), undefined when it could not be measured. */
  measured?: number;
  unit: 'ratio' | 'ms' | 'percent';
  op: '<=' | '<' | '>=';
  limit: number;
  pass?: boolean;
  why?: string;
}

export interface ScenarioResult {
  id: string;
  title: string;
  rows: Row[];
  targets: Target[];
  notes: string[];
}

export interface ScenarioContext {
  settings: Settings;
  contenders: readonly Contender[];
  shop: ShopDataset;
  log: Log;
}

export interface Scenario {
  id: string;
  title: string;
  run(ctx: ScenarioContext): Promise<ScenarioResult>;
}

export function target(
  label: string,
  measured: number | undefined,
  op: Target['op'],
  limit: number,
  unit: Target['unit'] = 'ratio',
  why?: string,
): Target {
  const pass =
    measured === undefined || !Number.isFinite(measured)
      ? undefined
      : op === '<='
        ? measured <= limit
        : op === '<'
          ? measured < limit
          : measured >= limit;
  return { label, measured, op, limit, unit, pass, ...(why ? { why } : {}) };
}

function median(row: Row | undefined): number | undefined {
  return row?.latency?.median;
}

function ratio(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || b === undefined || b === 0 ? undefined : a / b;
}

function rotate<T>(list: readonly T[], by: number): T[] {
  const n = list.length;
  return n === 0 ? [] : list.map((_, i) => list[(i + by) % n]!);
}

const errorMessage = (error: unknown) =>
  (error instanceof Error ? error.message : String(error)).split('\n')[0]!.slice(0, 300);

/** Opens each contender; a contender that fails to start is reported, not fatal. */
async function openAll(
  contenders: readonly Contender[],
  options: OpenOptions,
  log: Log,
): Promise<{ sessions: Session[]; failed: Row[] }> {
  const sessions: Session[] = [];
  const failed: Row[] = [];
  for (const contender of contenders) {
    try {
      sessions.push(await contender.open(options));
    } catch (error) {
      log(`  ${contender.id}: failed to start: ${errorMessage(error)}`);
      failed.push({ contender: contender.id, values: {}, error: `failed to start: ${errorMessage(error)}` });
    }
  }
  return { sessions, failed };
}

async function closeAll(sessions: readonly Session[]): Promise<void> {
  await Promise.all(sessions.map((s) => s.close().catch(() => {})));
}

interface CallLog {
  ms: number[];
  bytes: number[];
  errors: number;
  wrongRows: number;
  firstError?: string;
  failed?: string;
}

/**
 * Runs `perSession(session, round)` for every live session, `rounds` times, rotating the order. A session
 * that throws is dropped from later rounds with its error kept.
 */
async function alternate(
  sessions: readonly Session[],
  rounds: number,
  perSession: (s: Session, round: number, log: CallLog) => Promise<void>,
): Promise<Map<Session, CallLog>> {
  const logs = new Map<Session, CallLog>(
    sessions.map((s) => [s, { ms: [], bytes: [], errors: 0, wrongRows: 0 }]),
  );
  for (let round = 0; round < rounds; round++) {
    for (const session of rotate(sessions, round)) {
      const log = logs.get(session)!;
      if (log.failed) continue;
      try {
        await perSession(session, round, log);
      } catch (error) {
        log.failed = errorMessage(error);
      }
    }
  }
  return logs;
}

function check(answer: Answer, log: CallLog, expectedRows: number): void {
  if (answer.isError) {
    log.errors += 1;
    log.firstError ??= answer.errorText;
  } else if (!answer.oversize && answer.rows !== expectedRows) {
    log.wrongRows += 1;
    log.firstError ??= `expected ${expectedRows} rows, got ${answer.rows}`;
  }
}

function callRow(
  session: Session,
  log: CallLog,
  extra: Record<string, number | string | undefined> = {},
): Row {
  const row: Row = {
    contender: session.contender.id,
    latency: log.ms.length ? summarize(log.ms) : undefined,
    values: { ...(log.bytes.length ? { bytes: summarize(log.bytes).median } : {}), ...extra },
    units: { bytes: 'bytes' },
  };
  const problems = [
    log.failed,
    log.errors ? `${log.errors} error answers (${log.firstError})` : undefined,
    log.wrongRows ? `${log.wrongRows} wrong row counts (${log.firstError})` : undefined,
  ].filter(Boolean);
  if (problems.length) row.error = problems.join('; ');
  return row;
}

const mcpOnly = (contenders: readonly Contender[]) => contenders.filter((c) => c.id !== inProcessFloor.id);
const find = (rows: readonly Row[], id: string) =>
  rows.find((r) => r.contender === id && !r.error) ?? rows.find((r) => r.contender === id);

// ---------------------------------------------------------------------------------------------------------

const coldStart: Scenario = {
  id: 'cold-start',
  title: 'Cold start: spawn → initialize → tools/list answered (and tools/list size)',
  async run({ settings, contenders, shop, log }) {
    const list = mcpOnly(contenders);
    const times = new Map<string, number[]>(list.map((c) => [c.id, []]));
    const listBytes = new Map<string, number>();
    const errors = new Map<string, string>();
    for (let i = 0; i < settings.coldStarts; i++) {
      for (const contender of rotate(list, i)) {
        if (errors.has(contender.id)) continue;
        try {
          const session = await contender.open({ dbFile: shop.dbFile, projectDir: shop.dir });
          times.get(contender.id)!.push(session.startupMs!);
          listBytes.set(contender.id, session.toolsListBytes ?? 0);
          await session.close();
        } catch (error) {
          errors.set(contender.id, errorMessage(error));
          log(`  ${contender.id}: ${errorMessage(error)}`);
        }
      }
    }
    const rows: Row[] = list.map((c) => ({
      contender: c.id,
      latency: times.get(c.id)!.length ? summarize(times.get(c.id)!) : undefined,
      values: { 'tools/list': listBytes.get(c.id) },
      units: { 'tools/list': 'bytes' },
      ...(errors.has(c.id) ? { error: errors.get(c.id) } : {}),
    }));
    return {
      id: this.id,
      title: this.title,
      rows,
      targets: [
        target(
          'cold start ours / floor-sdk (median)',
          ratio(median(find(rows, ours.id)), median(find(rows, floorSdk.id))),
          '<=',
          1.0,
        ),
      ],
      notes: [
        `${settings.coldStarts} starts per contender; ours starts on the shop project (migrations already applied).`,
      ],
    };
  },
};

function pointQueryScenario(
  id: string,
  title: string,
  calls: (s: Settings) => number,
  warmup: (s: Settings) => number,
): Scenario {
  return {
    id,
    title,
    async run({ settings, contenders, shop, log }) {
      const { sessions, failed } = await openAll(
        contenders,
        { dbFile: shop.dbFile, projectDir: shop.dir },
        log,
      );
      const total = calls(settings);
      const perRound = Math.ceil(total / settings.rounds);
      const rand = mulberry32(99);
      const ids = Array.from({ length: total + 100 }, () => 1 + Math.floor(rand() * shop.counts.users));
      const memory = new Map<Session, { before: number; after: number }>();
      try {
        for (const s of sessions) {
          for (let i = 0; i < warmup(settings); i++)
            await s.query(`SELECT * FROM users WHERE id = ${ids[total + (i % 100)]}`);
          if (s.pid) memory.set(s, { before: treeMemory(s.pid).rss, after: 0 });
        }
        const logs = await alternate(sessions, settings.rounds, async (s, round, callLog) => {
          for (let i = round * perRound; i < Math.min(total, (round + 1) * perRound); i++) {
            const answer = await s.query(`SELECT * FROM users WHERE id = ${ids[i]}`);
            callLog.ms.push(answer.ms);
            callLog.bytes.push(answer.bytes);
            check(answer, callLog, 1);
          }
        });
        for (const [s, m] of memory) m.after = treeMemory(s.pid!).rss;
        const rows = [
          ...sessions.map((s) => {
            const m = memory.get(s);
            return {
              ...callRow(
                s,
                logs.get(s)!,
                m
                  ? {
                      'rss before': m.before,
                      'rss after': m.after,
                      'rss growth %': ((m.after - m.before) / m.before) * 100,
                    }
                  : {},
              ),
              units: {
                bytes: 'bytes',
                'rss before': 'bytes',
                'rss after': 'bytes',
                'rss growth %': 'percent',
              } as Row['units'],
            };
          }),
          ...failed,
        ];
        return {
          id,
          title,
          rows,
          targets: [],
          notes: [
            `${total} sequential calls per contender in ${settings.rounds} alternating rounds, after ${warmup(settings)} warm-up calls (RSS before = after them); SELECT * FROM users WHERE id = <seeded random id>.`,
          ],
        };
      } finally {
        await closeAll(sessions);
      }
    },
  };
}

const pointQuery: Scenario = (() => {
  const base = pointQueryScenario(
    'point-query',
    'Point query by primary key (sequential)',
    (s) => s.pointCalls,
    () => 50,
  );
  return {
    ...base,
    async run(ctx) {
      const result = await base.run(ctx);
      result.targets.push(
        target(
          'point query ours / floor-sdk (median)',
          ratio(median(find(result.rows, ours.id)), median(find(result.rows, floorSdk.id))),
          '<=',
          1.0,
        ),
      );
      return result;
    },
  };
})();

// A leak shows as growth once the heap has settled, so a tenth of the calls warm up before RSS is first read.
const longRun: Scenario = (() => {
  const base = pointQueryScenario(
    'calls-10k',
    'Many sequential calls: RSS before → after',
    (s) => s.longCalls,
    (s) => Math.max(50, Math.round(s.longCalls / 10)),
  );
  return {
    ...base,
    async run(ctx) {
      const result = await base.run(ctx);
      const growth = find(result.rows, ours.id)?.values['rss growth %'];
      result.targets.push(
        target(
          `${ctx.settings.longCalls} calls: ours RSS growth`,
          typeof growth === 'number' ? growth : undefined,
          '<',
          10,
          'percent',
        ),
      );
      return result;
    },
  };
})();

const rows1000: Scenario = {
  id: 'rows-1000',
  title: '1000-row query: time and response bytes',
  async run({ settings, contenders, shop, log }) {
    const { sessions, failed } = await openAll(
      contenders,
      { dbFile: shop.dbFile, projectDir: shop.dir, rowsWanted: 1000 },
      log,
    );
    const total = settings.rows1000Calls;
    const perRound = Math.ceil(total / settings.rounds);
    const rand = mulberry32(1000);
    const starts = Array.from({ length: total + 10 }, () => Math.floor(rand() * (shop.counts.users - 1000)));
    const sql = (start: number) => `SELECT * FROM users WHERE id > ${start} ORDER BY id LIMIT 1000`;
    try {
      for (const s of sessions) for (let i = 0; i < 5; i++) await s.query(sql(starts[total + i]!));
      const logs = await alternate(sessions, settings.rounds, async (s, round, callLog) => {
        for (let i = round * perRound; i < Math.min(total, (round + 1) * perRound); i++) {
          const answer = await s.query(sql(starts[i]!));
          callLog.ms.push(answer.ms);
          callLog.bytes.push(answer.bytes);
          check(answer, callLog, 1000);
        }
      });
      const rows = [...sessions.map((s) => callRow(s, logs.get(s)!)), ...failed];
      const floor = find(rows, floorSdk.id);
      const mine = find(rows, ours.id);
      return {
        id: this.id,
        title: this.title,
        rows,
        targets: [
          target('1000 rows ours / floor-sdk time (median)', ratio(median(mine), median(floor)), '<=', 1.2),
          target(
            '1000 rows ours / floor-sdk bytes',
            ratio(mine?.values.bytes as number | undefined, floor?.values.bytes as number | undefined),
            '<=',
            0.6,
          ),
        ],
        notes: [
          `${total} calls per contender; every answer checked to hold 1000 rows. Ours is launched with --max-bytes 8 MiB and called with maxRows 1000 (its defaults cap an answer at 100 rows / 64 KiB).`,
        ],
      };
    } finally {
      await closeAll(sessions);
    }
  },
};

const pipelined: Scenario = {
  id: 'pipelined',
  title: 'Pipelined point queries (8 in flight): throughput',
  async run({ settings, contenders, shop, log }) {
    const { sessions, failed } = await openAll(
      mcpOnly(contenders),
      { dbFile: shop.dbFile, projectDir: shop.dir },
      log,
    );
    const total = settings.pipelinedCalls;
    const perRound = Math.ceil(total / settings.rounds);
    const rand = mulberry32(8);
    const ids = Array.from({ length: total }, () => 1 + Math.floor(rand() * shop.counts.users));
    const wall = new Map<Session, { ms: number; calls: number }>(
      sessions.map((s) => [s, { ms: 0, calls: 0 }]),
    );
    try {
      for (const s of sessions)
        await Promise.all(
          Array.from({ length: 16 }, (_, i) => s.query(`SELECT * FROM users WHERE id = ${ids[i]}`)),
        );
      const logs = await alternate(sessions, settings.rounds, async (s, round, callLog) => {
        let next = round * perRound;
        const end = Math.min(total, (round + 1) * perRound);
        const t0 = performance.now();
        const worker = async () => {
          while (next < end) {
            const i = next++;
            const answer = await s.query(`SELECT * FROM users WHERE id = ${ids[i]}`);
            callLog.ms.push(answer.ms);
            check(answer, callLog, 1);
          }
        };
        const startCalls = callLog.ms.length;
        await Promise.all(Array.from({ length: settings.inFlight }, worker));
        const w = wall.get(s)!;
        w.ms += performance.now() - t0;
        w.calls += callLog.ms.length - startCalls;
      });
      const rows = [
        ...sessions.map((s) => {
          const w = wall.get(s)!;
          return {
            ...callRow(s, logs.get(s)!, { 'calls/s': w.ms ? (w.calls / w.ms) * 1000 : undefined }),
            units: { 'calls/s': 'per-s' } as Row['units'],
          };
        }),
        ...failed,
      ];
      const tput = (id: string) => find(rows, id)?.values['calls/s'] as number | undefined;
      return {
        id: this.id,
        title: this.title,
        rows,
        targets: [],
        notes: [
          `${total} calls per contender, ${settings.inFlight} in flight; latency is per call under that load. ours / floor-sdk throughput: ${ratio(tput(ours.id), tput(floorSdk.id))?.toFixed(2) ?? '—'}×.`,
        ],
      };
    } finally {
      await closeAll(sessions);
    }
  },
};

const selectAll: Scenario = {
  id: 'select-all-1m',
  title: 'SELECT * on the 1M-row table: time to answer, bytes, server memory',
  async run({ settings, contenders, shop, log }) {
    const sql = 'SELECT * FROM order_items';
    const samples = new Map<
      string,
      {
        ms: number[];
        bytes: number;
        rows?: number;
        oversize: boolean;
        idle: number[];
        hwm: number[];
        peak: number[];
        error?: string;
      }
    >();
    for (const c of contenders)
      samples.set(c.id, { ms: [], bytes: 0, oversize: false, idle: [], hwm: [], peak: [] });
    for (let run = 0; run < settings.selectAllRuns; run++) {
      for (const contender of rotate(contenders, run)) {
        const sample = samples.get(contender.id)!;
        if (sample.error) continue;
        let session: Session | undefined;
        try {
          session = await contender.open({ dbFile: shop.dbFile, projectDir: shop.dir });
          await session.query('SELECT * FROM order_items WHERE id = 1');
          await new Promise((r) => setTimeout(r, 300));
          const pid = session.pid;
          if (pid) sample.idle.push(treeMemory(pid).rss);
          const s = session;
          const {
            value: answer,
            peakRss,
            hwm,
          } = pid
            ? await sampleWhile(pid, () => s.query(sql))
            : { value: await s.query(sql), peakRss: 0, hwm: 0 };
          if (answer.isError) throw new Error(`error answer: ${answer.errorText}`);
          sample.ms.push(answer.ms);
          sample.bytes = answer.bytes;
          sample.rows = answer.rows;
          sample.oversize ||= answer.oversize;
          if (pid) {
            sample.hwm.push(hwm);
            sample.peak.push(peakRss);
          }
          log(`  ${contender.id}: ${answer.ms.toFixed(0)} ms, ${answer.bytes} bytes`);
        } catch (error) {
          sample.error = errorMessage(error);
          log(`  ${contender.id}: ${sample.error}`);
        } finally {
          await session?.close().catch(() => {});
        }
      }
    }
    const rows: Row[] = contenders.map((c) => {
      const s = samples.get(c.id)!;
      const idle = s.idle.length ? summarize(s.idle).median : undefined;
      const hwm = s.hwm.length ? Math.max(...s.hwm) : undefined;
      const peak = s.peak.length ? Math.max(...s.peak) : undefined;
      return {
        contender: c.id,
        latency: s.ms.length ? summarize(s.ms) : undefined,
        values: {
          bytes: s.bytes || undefined,
          rows: s.oversize ? '> 10 MiB: stock client drops it' : s.rows,
          'idle rss': idle,
          'peak rss': peak,
          VmHWM: hwm,
          'peak/idle': ratio(peak, idle),
        },
        units: {
          bytes: 'bytes',
          'idle rss': 'bytes',
          'peak rss': 'bytes',
          VmHWM: 'bytes',
          'peak/idle': 'ratio',
          rows: 'count',
        },
        ...(s.error ? { error: s.error } : {}),
      };
    });
    const mine = find(rows, ours.id);
    return {
      id: this.id,
      title: this.title,
      rows,
      targets: [
        target('1M SELECT *: ours first page (median)', median(mine), '<', 50, 'ms'),
        target(
          '1M SELECT *: ours peak RSS / idle RSS (sampled every 10 ms)',
          mine?.values['peak/idle'] as number | undefined,
          '<',
          1.2,
        ),
      ],
      notes: [
        `${settings.selectAllRuns} run(s) per contender, each on a freshly started server. Memory is the server's process tree (/proc: VmRSS sampled every 10 ms; VmHWM summed over the tree, an upper bound that includes start-up).`,
        'A stock SDK client closes the connection on any message above 10 MiB; the bench transport counts such an answer and reports it instead.',
      ],
    };
  },
};

const generate: Scenario = {
  id: 'generate-100',
  title: 'generate_migration on a 100-table schema vs the drizzle-kit generate CLI',
  async run({ settings, contenders, log }) {
    const gen = await ensureGenProject(log, 100);
    const work = path.join(BENCH_ROOT, 'work');
    const oursDir = path.join(work, 'gen-ours');
    const cliDir = path.join(work, 'gen-cli');
    copyProject(gen.dir, oursDir);
    copyProject(gen.dir, cliDir);
    const rows: Row[] = [];
    const notes = [
      `${settings.generateSteps} steps; step k adds a column to table k of 100 and generates (both sides see the same edit). Ours: the first call on a fresh server is reported apart from the warm ones.`,
    ];
    const cliMs: number[] = [];
    const oursMs: number[] = [];
    let oursFirst: number | undefined;
    let session: Session | undefined;
    let oursError: string | undefined;
    const oursContender = contenders.find((c) => c.id === ours.id);
    try {
      if (oursContender) {
        try {
          session = await oursContender.open({ dbFile: path.join(oursDir, 'gen.db'), projectDir: oursDir });
          if (!session.toolNames?.includes('generate_migration'))
            throw new Error(
              `ours lists no generate_migration tool (it lists ${session.toolNames?.join(', ')})`,
            );
        } catch (error) {
          oursError = errorMessage(error);
          await session?.close().catch(() => {});
          session = undefined;
        }
      }
      for (let step = 1; step <= settings.generateSteps; step++) {
        const source = genSchemaSource(100, step);
        const order = step % 2 ? ['ours', 'cli'] : ['cli', 'ours'];
        for (const who of order) {
          if (who === 'cli') {
            fs.writeFileSync(path.join(cliDir, 'schema.ts'), source);
            cliMs.push(drizzleKitGenerate(cliDir, ['--name', `step_${step}`]));
          } else if (session) {
            fs.writeFileSync(path.join(oursDir, 'schema.ts'), source);
            const answer = await session.call('generate_migration', { name: `step_${step}` });
            const status = (answer.result?.structuredContent as { status?: string } | undefined)?.status;
            if (answer.isError || status !== 'ok') {
              oursError ??= `step ${step}: ${answer.errorText ?? `status ${status}: ${JSON.stringify(answer.result?.structuredContent).slice(0, 300)}`}`;
              continue;
            }
            if (oursFirst === undefined) oursFirst = answer.ms;
            else oursMs.push(answer.ms);
          }
        }
      }
    } finally {
      await session?.close().catch(() => {});
    }
    const cliSql = fs.readdirSync(path.join(cliDir, 'drizzle')).filter((f) => f.endsWith('.sql')).length;
    notes.push(`CLI wrote ${cliSql - 1} migrations over the baseline.`);
    rows.push({
      contender: 'drizzle-kit CLI',
      latency: cliMs.length ? summarize(cliMs) : undefined,
      values: {},
    });
    rows.push({
      contender: 'ours (warm)',
      latency: oursMs.length ? summarize(oursMs) : undefined,
      values: { 'first call': oursFirst },
      units: { 'first call': 'ms' },
      ...(oursError ? { error: oursError } : {}),
    });
    return {
      id: this.id,
      title: this.title,
      rows,
      targets: [
        target(
          'generate: CLI / ours warm (median), speed-up',
          ratio(
            cliMs.length ? summarize(cliMs).median : undefined,
            oursMs.length ? summarize(oursMs).median : undefined,
          ),
          '>=',
          10,
        ),
      ],
      notes,
    };
  },
};

const apply: Scenario = {
  id: 'apply-1gib',
  title: 'apply_migrations (dry run, backup, apply) on a big database vs cp',
  async run({ settings, contenders, log }) {
    const big = await ensureBigProject(log, settings.bigMiB);
    const work = path.join(BENCH_ROOT, 'work', 'apply');
    const cpTarget = path.join(BENCH_ROOT, 'work', 'cp-copy.db');
    const cpMs: number[] = [];
    const dry: number[] = [];
    const full: number[] = [];
    const backupMs: number[] = [];
    const dryExtra: number[] = [];
    const applyExtra: number[] = [];
    let error: string | undefined;
    const notes = [
      `Database ${(big.sizeBytes / 1024 ** 2).toFixed(0)} MiB (configurable: --big-mib); one pending migration (a nullable column + an index on a 100k-row table). Page cache warm for both sides (the file was just copied).`,
    ];
    const runCp = () => {
      const t0 = performance.now();
      const r = spawnSync('cp', [big.pristineDb, cpTarget]);
      const ms = performance.now() - t0;
      fs.rmSync(cpTarget, { force: true });
      if (r.status !== 0) throw new Error(`cp failed: ${r.stderr}`);
      cpMs.push(ms);
    };
    // References for what bounds a backup: SQLite's online backup API and a plain file copy, both in-process.
    const backupApiMs: number[] = [];
    const copyFileMs: number[] = [];
    const runReferences = async () => {
      const source = new Database(big.pristineDb, { readonly: true });
      const t0 = performance.now();
      await source.backup(cpTarget);
      backupApiMs.push(performance.now() - t0);
      source.close();
      fs.rmSync(cpTarget, { force: true });
      const t1 = performance.now();
      fs.copyFileSync(big.pristineDb, cpTarget);
      copyFileMs.push(performance.now() - t1);
      fs.rmSync(cpTarget, { force: true });
    };
    const oursContender = contenders.find((c) => c.id === ours.id);
    for (let run = 0; run < settings.applyRuns; run++) {
      if (run % 2 === 0) runCp();
      await runReferences();
      if (oursContender && !error) {
        copyProject(big.dir, work);
        const backups = path.join(work, 'backups');
        let session: Session | undefined;
        try {
          session = await oursContender.open({
            dbFile: path.join(work, 'big.db'),
            projectDir: work,
            extraArgs: ['--no-migrate-on-start', '--backup-dir', backups],
          });
          if (!session.toolNames?.includes('apply_migrations'))
            throw new Error(
              `ours lists no apply_migrations tool (it lists ${session.toolNames?.join(', ')})`,
            );
          const s = session;
          const idle = treeMemory(s.pid!).rss;
          const d = await sampleWhile(s.pid!, () => s.call('apply_migrations', { dryRun: true }));
          if (d.value.isError) throw new Error(`dry run: ${d.value.errorText}`);
          dry.push(d.value.ms);
          dryExtra.push(d.peakRss - idle);
          const a = await sampleWhile(s.pid!, () => s.call('apply_migrations', {}));
          if (a.value.isError) throw new Error(`apply: ${a.value.errorText}`);
          full.push(a.value.ms);
          applyExtra.push(a.peakRss - idle);
          const structured = a.value.result?.structuredContent as Record<string, unknown> | undefined;
          const reported =
            findNumber(structured, ['backup', 'durationMs']) ?? findNumber(structured, ['backup', 'ms']);
          backupMs.push(reported ?? a.value.ms - d.value.ms);
          if (run === 0) notes.push(`apply answer (trimmed): ${JSON.stringify(structured).slice(0, 400)}`);
          const ledger = new Database(path.join(work, 'big.db'), { readonly: true });
          const applied = ledger.prepare('SELECT count(*) FROM __drizzle_migrations').pluck().get() as number;
          ledger.close();
          if (applied !== 2)
            throw new Error(`after apply the ledger holds ${applied} migrations, expected 2`);
        } catch (e) {
          error = errorMessage(e);
          log(`  ours: ${error}`);
        } finally {
          await session?.close().catch(() => {});
          fs.rmSync(work, { recursive: true, force: true });
        }
      }
      if (run % 2 === 1) runCp();
    }
    const cpMedian = cpMs.length ? summarize(cpMs).median : undefined;
    const backupMedian = backupMs.length ? summarize(backupMs).median : undefined;
    const rows: Row[] = [
      {
        contender: 'cp',
        latency: cpMs.length ? summarize(cpMs) : undefined,
        values: { 'MiB/s': cpMedian ? big.sizeBytes / 1024 ** 2 / (cpMedian / 1000) : undefined },
      },
      {
        contender: 'fs.copyFileSync (ref)',
        latency: summarize(copyFileMs),
        values: { 'MiB/s': big.sizeBytes / 1024 ** 2 / (summarize(copyFileMs).median / 1000) },
      },
      {
        contender: 'db.backup() (ref)',
        latency: summarize(backupApiMs),
        values: { 'MiB/s': big.sizeBytes / 1024 ** 2 / (summarize(backupApiMs).median / 1000) },
      },
      {
        contender: 'ours dry run',
        latency: dry.length ? summarize(dry) : undefined,
        values: { 'extra rss': dry.length ? Math.max(...dryExtra) : undefined },
        units: { 'extra rss': 'bytes' },
        ...(error ? { error } : {}),
      },
      {
        contender: 'ours apply',
        latency: full.length ? summarize(full) : undefined,
        values: {
          backup: backupMedian,
          'backup MiB/s': backupMedian ? big.sizeBytes / 1024 ** 2 / (backupMedian / 1000) : undefined,
          'extra rss': applyExtra.length ? Math.max(...applyExtra) : undefined,
        },
        units: { backup: 'ms', 'extra rss': 'bytes' },
      },
    ];
    notes.push(
      'backup time: as the apply answer reports it when it does, else (apply − dry run), an upper bound.',
    );
    return {
      id: this.id,
      title: this.title,
      rows,
      targets: [
        target('backup throughput ours / cp', ratio(cpMedian, backupMedian), '>=', 0.5),
        target(
          'dry run extra RAM / database size',
          dryExtra.length ? Math.max(...dryExtra) / big.sizeBytes : undefined,
          '<',
          0.5,
          'ratio',
          'the dry run should not hold the whole database in memory',
        ),
      ],
      notes,
    };
  },
};

function findNumber(value: unknown, pathKeys: string[]): number | undefined {
  let current: unknown = value;
  for (const key of pathKeys) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return typeof current === 'number' ? current : undefined;
}

const auditRead: Scenario = {
  id: 'audit-1m',
  title: 'read_audit_log with 1M audit rows',
  async run({ settings, contenders, shop, log }) {
    const audit = await ensureAuditDb(log, settings.auditRows);
    const rows: Row[] = [];
    const notes = [
      `Audit database of ${settings.auditRows} chained rows written by src/audit/audit-log.ts; ours runs with --audit-db on it. ${settings.auditReads} reads per variant.`,
    ];
    // Floor: the same page read in-process through the AuditLog class.
    {
      const { AuditLog } = await import('../src/audit/audit-log.js');
      const db = new Database(audit.file, { readonly: true });
      const auditLog = new AuditLog(db, 'audit_log');
      const ms: number[] = [];
      for (let i = 0; i < settings.auditReads; i++) {
        const t0 = performance.now();
        auditLog.read({ limit: 20 });
        ms.push(performance.now() - t0);
      }
      db.close();
      rows.push({ contender: 'floor-inproc (AuditLog.read)', latency: summarize(ms), values: {} });
    }
    const oursContender = contenders.find((c) => c.id === ours.id);
    let target1: number | undefined;
    if (oursContender) {
      let session: Session | undefined;
      try {
        session = await oursContender.open({
          dbFile: shop.dbFile,
          projectDir: shop.dir,
          extraArgs: ['--audit-db', audit.file],
        });
        const variants: Array<[string, Record<string, unknown>]> = [
          ['ours: latest page', {}],
          ['ours: filtered (tool)', { tool: 'select_rows' }],
          ['ours: filtered (target)', { targetType: 'table', targetId: 'orders' }],
        ];
        for (const [label, args] of variants) {
          const ms: number[] = [];
          const bytes: number[] = [];
          let error: string | undefined;
          for (let i = 0; i < settings.auditReads; i++) {
            const answer = await session.call('read_audit_log', args);
            if (answer.isError) {
              error = answer.errorText;
              break;
            }
            ms.push(answer.ms);
            bytes.push(answer.bytes);
          }
          rows.push({
            contender: label,
            latency: ms.length ? summarize(ms) : undefined,
            values: { bytes: bytes.length ? summarize(bytes).median : undefined },
            units: { bytes: 'bytes' },
            ...(error ? { error } : {}),
          });
          if (label === 'ours: latest page' && ms.length) target1 = summarize(ms).median;
        }
        const verify = await session.call(
          'read_audit_log',
          { verify: true, limit: 1 },
          { timeoutMs: 600_000 },
        );
        const chain = (
          verify.result?.structuredContent as { chain?: { ok?: boolean; checkedRows?: number } } | undefined
        )?.chain;
        rows.push({
          contender: 'ours: verify whole chain (once)',
          latency: summarize([verify.ms]),
          values: { ok: String(chain?.ok), checked: chain?.checkedRows },
          units: { checked: 'count' },
          ...(verify.isError ? { error: verify.errorText } : {}),
        });
      } catch (error) {
        rows.push({ contender: 'ours', values: {}, error: errorMessage(error) });
      } finally {
        await session?.close().catch(() => {});
      }
    }
    return {
      id: this.id,
      title: this.title,
      rows,
      targets: [target('read_audit_log on 1M rows: ours (median)', target1, '<', 20, 'ms')],
      notes,
    };
  },
};

export const SCENARIOS: readonly Scenario[] = [
  coldStart,
  pointQuery,
  rows1000,
  pipelined,
  selectAll,
  generate,
  apply,
  longRun,
  auditRead,
];
