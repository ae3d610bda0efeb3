// Long migration histories in a model's context. A project with 90 migrations must not spend 35 kB of a turn on
// a status or a dry run: these functions decide what is shown in full (problems, findings, data changes, errors,
// the last few applied, the next few pending, and any one migration asked for by name) and summarise the rest as
// ranges, under a byte budget. Pure: they shape what the procedures computed, they compute nothing new.
import { capText } from '../core/text.js';
import type { TableRowCount } from '../migrations/dry-run.js';
import type { MigrationStatusEntry } from '../migrations/status.js';
import { describeRowCount, type ApplyPlan } from './apply-migrations.js';
import type { Finding } from './migration-state.js';

/** Up to this many entries a status lists everything; beyond it, the quiet middle becomes ranges. */
const STATUS_LIST_ALL_UP_TO = 12;
/** Applied migrations listed in full at the end of a long history, and pending ones at the start of the queue. */
const STATUS_EDGE = 3;
/** Up to this many pending migrations a dry run lists every statement (one generate, then its dry run). */
const REHEARSAL_LIST_ALL_UP_TO = 5;
/** The JSON of a dry run (or apply) report stays under this, unless one migration is asked for in full. */
export const REHEARSAL_BUDGET_BYTES = 16 * 1024;
const STATEMENT_CHARS = 2_000;
const STATEMENT_CHARS_TIGHT = 300;
/** A migration asked for by name is listed whole, up to this much SQL. */
const SHOWN_MIGRATION_CHARS = 64 * 1024;

// ---- migration_status ------------------------------------------------------------------------------------------

export interface StatusListing {
  /** The entries shown one by one, in history order. */
  shown: MigrationStatusEntry[];
  /** One line per run of entries left out, e.g. "applied: 0000_init … 0089_tags (90 migrations, all applied)". */
  ranges: string[];
}

/**
 * Which migrations a status lists: all of a short history; of a long one every problem (modified, skipped,
 * missing, or any note), the last few applied and the first few pending (and the last pending), the rest as ranges.
 */
export function listStatusEntries(entries: readonly MigrationStatusEntry[]): StatusListing {
  if (entries.length <= STATUS_LIST_ALL_UP_TO) return { shown: [...entries], ranges: [] };
  const applied = entries.filter((entry) => entry.state === 'applied');
  const pending = entries.filter((entry) => entry.state === 'pending');
  const keep = new Set<MigrationStatusEntry>([
    ...entries.filter((entry) => (entry.state !== 'applied' && entry.state !== 'pending') || entry.note),
    ...applied.slice(-STATUS_EDGE),
    ...pending.slice(0, STATUS_EDGE),
    ...pending.slice(-1),
  ]);
  const shown: MigrationStatusEntry[] = [];
  const ranges: string[] = [];
  let run: MigrationStatusEntry[] = [];
  const closeRun = () => {
    if (run.length === 0) return;
    const state = run[0]!.state;
    const first = run[0]!.tag ?? '?';
    const last = run.at(-1)!.tag ?? '?';
    ranges.push(
      run.length === 1
        ? `${state}: ${first} (not listed)`
        : `${state}: ${first} … ${last} (${run.length} migrations, all ${state}, not listed)`,
    );
    run = [];
  };
  for (const entry of entries) {
    if (keep.has(entry)) {
      closeRun();
      shown.push(entry);
    } else {
      if (run.length > 0 && run[0]!.state !== entry.state) closeRun();
      run.push(entry);
    }
  }
  closeRun();
  return { shown, ranges };
}

/**
 * At most `max` lines; the rest counted, and for lines that start with a code ("SNAPSHOT_MISSING: …") the codes
 * they carry.
 */
export function capLines(lines: readonly string[], max: number): string[] {
  if (lines.length <= max) return [...lines];
  const rest = lines.slice(max);
  const codes = [...new Set(rest.map((line) => /^([A-Z][A-Z0-9_]+):/.exec(line)?.[1]).filter(Boolean))];
  return [
    ...lines.slice(0, max),
    `… and ${rest.length} more${codes.length ? ` (${codes.join(', ')})` : ''}.`,
  ];
}

// ---- apply_migrations (dry run and apply) ---------------------------------------------------------------------

export interface MigrationReport {
  tag: string;
  statements?: string[];
  statementCount: number;
  statementsOmitted?: number;
  rowChanges?: string[];
  /** Statements the apply skips because it already does what they do ("statement N: text"). */
  neutralised?: string[];
  error?: string;
  findings?: Finding[];
}

export interface Rehearsal {
  /** The pending migrations worth reading: findings, data changes, an error, or asked for by name. */
  migrations: MigrationReport[];
  /** Runs of migrations with nothing to say, as ranges. */
  quiet: string[];
  /**
   * "table: before → after" over all pending migrations: every table for a few migrations; for many, only the
   * tables whose rows change (created or dropped empty does not count).
   */
  rowCounts: string[];
  /** How many tables' rows do not change (including tables created or dropped while empty). */
  unchangedTables: number;
  /** Set when the budget cut something: what was cut and how to see it. */
  truncated?: string;
}

/** Created or dropped while empty, or untouched: no row of the app's data changes. */
const changesData = (count: TableRowCount) =>
  count.before !== count.after &&
  !(count.before === null && count.after === 0) &&
  !(count.before === 0 && count.after === null);

/** A finding worth the statements: a warning, an error, or data loss (an "info" explains; it needs no SQL). */
const notable = (finding: Finding) => finding.severity !== 'info' || finding.dataLoss === true;

/**
 * The dry run as a model reads it, under REHEARSAL_BUDGET_BYTES. A few pending migrations are listed whole; of
 * more, statements only for those with notable findings, data changes or an error (and all of `show`'s), the quiet
 * rest as ranges. If that is still too long, statements are shortened, then left out, oldest first; then findings
 * that repeat an earlier migration's point at it, and info findings, then all findings, are left out newest first.
 */
export function summariseRehearsal(
  plan: ApplyPlan,
  show: string | undefined,
  /** Bytes the rest of the result takes (an apply's list of applied tags), kept free within the budget. */
  otherBytes = 0,
): Rehearsal {
  const { report, findings } = plan;
  const listAll = report.migrations.length <= REHEARSAL_LIST_ALL_UP_TO;
  const reports: Array<MigrationReport & { quiet: boolean }> = report.migrations.map((migration, index) => {
    const lint = findings[index] ?? [];
    const changes = migration.rowCountChanges.filter(changesData);
    const shown = migration.tag === show;
    const worthReading =
      listAll ||
      shown ||
      migration.error !== undefined ||
      changes.length > 0 ||
      migration.neutralised.length > 0 ||
      lint.some(notable);
    return {
      tag: migration.tag,
      statementCount: migration.statements.length,
      ...(worthReading
        ? {
            statements: shown
              ? capTotal(migration.statements, SHOWN_MIGRATION_CHARS)
              : migration.statements.map((statement) => capText(statement, STATEMENT_CHARS).text),
          }
        : {}),
      ...(changes.length ? { rowChanges: changes.map(describeRowCount) } : {}),
      ...(migration.neutralised.length
        ? {
            neutralised: migration.neutralised.map(
              (n) => `statement ${n.statement}: ${capText(n.text.replace(/\s+/g, ' '), 200).text}`,
            ),
          }
        : {}),
      ...(migration.error ? { error: `${migration.error.code}: ${migration.error.message}` } : {}),
      ...(lint.length ? { findings: groupRepeats(lint) } : {}),
      quiet: !worthReading && lint.length === 0,
    };
  });
  const migrations: MigrationReport[] = [];
  const quiet: string[] = [];
  let run: MigrationReport[] = [];
  const closeRun = () => {
    if (run.length === 0) return;
    const statements = run.reduce((sum, migration) => sum + migration.statementCount, 0);
    const range = run.length === 1 ? run[0]!.tag : `${run[0]!.tag} … ${run.at(-1)!.tag}`;
    quiet.push(
      `${range}: ${run.length} migration${run.length === 1 ? '' : 's'}, ${statements} statement${statements === 1 ? '' : 's'}; no findings, no data changes, no errors`,
    );
    run = [];
  };
  for (const { quiet: isQuiet, ...migration } of reports) {
    if (isQuiet) run.push(migration);
    else {
      closeRun();
      migrations.push(migration);
    }
  }
  closeRun();
  const rowCounts = plan.rowCounts.filter((count) => listAll || changesData(count)).map(describeRowCount);
  const rehearsal: Rehearsal = {
    migrations,
    quiet,
    rowCounts,
    unchangedTables: plan.rowCounts.length - rowCounts.length,
  };
  return withinBudget(rehearsal, show, REHEARSAL_BUDGET_BYTES - otherBytes);
}

/**
 * The same finding on several statements of one migration (each statement of a neutralised idiom, a rename per
 * table rebuilt…) once, at its first statement, its message naming the others: a long history repeats them by
 * the dozen, and the model needs the words once.
 */
export function groupRepeats(findings: readonly Finding[]): Finding[] {
  const groups = new Map<string, { first: Finding; others: number[] }>();
  for (const finding of findings) {
    const { statement, ...rest } = finding;
    const key = JSON.stringify(rest);
    const group = groups.get(key);
    if (group) group.others.push(statement);
    else groups.set(key, { first: finding, others: [] });
  }
  return [...groups.values()].map(({ first, others }) =>
    others.length === 0
      ? first
      : {
          ...first,
          message: `${first.message}${alsoAt(others)}`,
        },
  );
}

const alsoAt = (statements: readonly number[]) =>
  ` (Also statement${statements.length === 1 ? '' : 's'} ${statements.join(', ')}.)`;
const ALSO_AT = / \(Also statements? [\d, ]+\.\)$/;

function capTotal(statements: readonly string[], max: number): string[] {
  const out: string[] = [];
  let used = 0;
  for (const statement of statements) {
    if (used >= max) break;
    const text = capText(statement, max - used).text;
    out.push(text);
    used += text.length;
  }
  return out;
}

/** Room kept for `truncated` itself while cutting (its longest form, with two lists of six tags). */
const TRUNCATION_NOTE_BYTES = 1024;

const size = (value: unknown) => Buffer.byteLength(JSON.stringify(value), 'utf8');

function withinBudget(rehearsal: Rehearsal, show: string | undefined, budget: number): Rehearsal {
  if (size(rehearsal) <= budget) return rehearsal;
  const fits = () => size(rehearsal) + TRUNCATION_NOTE_BYTES <= budget;
  const others = rehearsal.migrations.filter((migration) => migration.tag !== show && migration.statements);
  for (const migration of others)
    migration.statements = migration.statements!.map(
      (statement) => capText(statement, STATEMENT_CHARS_TIGHT).text,
    );
  let cut = 0;
  for (const migration of others) {
    if (fits()) break;
    migration.statementsOmitted = migration.statements!.length;
    delete migration.statements;
    cut += 1;
  }
  const cuts = [
    `statements were shortened${cut ? `, and left out for ${cut} migration(s) (statementsOmitted)` : ''}`,
  ];
  const referred = !fits() ? referToEarlierFindings(rehearsal, show) : 0;
  if (referred) cuts.push(`${referred} finding(s) that repeat an earlier migration's refer to it`);
  const infos = !fits() ? dropFindings(rehearsal, show, isInfo, fits) : [];
  if (infos.length) cuts.push(`info findings were left out for ${tagList(infos)}`);
  const all = !fits() ? dropFindings(rehearsal, show, () => true, fits) : [];
  if (all.length) cuts.push(`all findings were left out for ${tagList(all)}`);
  rehearsal.truncated = `Too long to show whole: ${cuts.join('; ')}. Call again with show: "<tag>" to list one migration's statements and findings in full.`;
  return rehearsal;
}

const isInfo = (finding: Finding) => !notable(finding);

const tagList = (tags: readonly string[]) =>
  tags.length <= 6 ? tags.join(', ') : `${tags.length} migrations, ${tags[0]} … ${tags.at(-1)}`;

/**
 * Takes the findings that `which` picks out of migrations, newest first (so that a finding another one refers to
 * goes last), until the rehearsal fits (never `show`'s); returns the tags of the migrations that lost some.
 */
function dropFindings(
  rehearsal: Rehearsal,
  show: string | undefined,
  which: (finding: Finding) => boolean,
  fits: () => boolean,
) {
  const touched: string[] = [];
  for (const migration of [...rehearsal.migrations].reverse()) {
    if (fits()) break;
    if (migration.tag === show || !migration.findings?.some(which)) continue;
    const kept = migration.findings.filter((finding) => !which(finding));
    if (kept.length) migration.findings = kept;
    else delete migration.findings;
    touched.unshift(migration.tag);
  }
  return touched;
}

/**
 * The budget's first cut into findings: a finding worded exactly as one of an earlier migration (the same idiom in
 * seven migrations, say) keeps its code and statement, and its words become a pointer to that migration's.
 */
function referToEarlierFindings(rehearsal: Rehearsal, show: string | undefined): number {
  const seen = new Map<string, string>();
  let referred = 0;
  for (const migration of rehearsal.migrations) {
    if (!migration.findings) continue;
    migration.findings = migration.findings.map((finding) => {
      const key = JSON.stringify([finding.code, finding.message.replace(ALSO_AT, ''), finding.fix]);
      const first = seen.get(key);
      if (first === undefined) {
        seen.set(key, migration.tag);
        return finding;
      }
      if (migration.tag === show) return finding;
      referred += 1;
      const pointer = `As ${finding.code} in ${first}.`;
      return { ...finding, message: `${pointer}${finding.message.match(ALSO_AT)?.[0] ?? ''}`, fix: pointer };
    });
  }
  return referred;
}
