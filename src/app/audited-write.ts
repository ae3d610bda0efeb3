// The one path every write takes (execute_sql, write_rows): through the query host, with the call's audit row
// committed in the write's own transaction, and over the budget only with consent to its plan (the operator's
// --allow-large-writes, or a person through the consent ladder; never a tool argument). Invariant: consent never
// covers more rows than the person was shown.
import type { AuditEntry } from '../audit/entry.js';
import type { Config } from '../core/config.js';
import { AppError } from '../core/errors.js';
import { shortenText } from '../core/text.js';
import { auditedStatement } from '../audit/statement-view.js';
import type { SessionWriteBudget } from '../guard/write-budget.js';
import type { ServerTables } from '../guard/server-tables.js';
import type { EncodedRows } from '../query/encode.js';
import type { AuditAppend, QueryParams, WriteRequest, WriteResult } from '../query/protocol.js';
import type { QueryRunner } from '../query/query-runner.js';
import type { PlanCell, RowChangeSample } from '../consent/plan.js';
import type { ProjectConfig } from '../project/types.js';
import type { SqliteDatabase } from '../sqlite/connection.js';
import type { CallContext } from './call-context.js';
import { describeConsent, obtainConsent } from './consent.js';
import type { ConsentRoom } from './consent-room.js';
import { databaseBinding, planArguments, writePlan } from './plans.js';

/** What a write needs of the services: the budgets, where the audit row goes, and the query host. */
export interface WriteServices {
  config: Pick<Config, 'writeBudget' | 'allowLargeWrites'>;
  writes: SessionWriteBudget;
  audit: { readonly table: string };
  tables: Pick<ServerTables, 'auditInProjectDb'>;
  /** The audit database file (with --audit-db). */
  auditFile: string;
  queries(): Pick<QueryRunner, 'write'>;
  /** The plan of an over-budget write is bound to the database it was measured on. */
  read: SqliteDatabase;
  project: Pick<ProjectConfig, 'dbFile'>;
  consent: ConsentRoom;
}

/** What the host needs to commit this call's audit row (`full`) inside the write's transaction. */
function auditAppendFor(services: WriteServices, full: AuditEntry): AuditAppend {
  const { outcome: _outcome, rowsAffected: _rows, durationMs, errorCode: _code, ...entry } = full;
  return {
    table: services.audit.table,
    ...(services.tables.auditInProjectDb ? {} : { auditDbFile: services.auditFile }),
    entry,
    startedAtMs: Date.now() - durationMs,
  };
}

export interface WriteStatement {
  sql: string;
  params?: QueryParams;
  dryRun: boolean;
  /** Limits for RETURNING rows. */
  maxRows?: number;
  maxBytes?: number;
  maxCellChars?: number;
}

export interface ConsentPrompt {
  /** Who asks, e.g. "execute_sql". */
  tool: string;
  /** The statement shown to the person, whole. */
  sql: string;
  params?: QueryParams;
  /** The call's arguments (the plan is bound to them) and the plan id a follow-up call names. */
  args: Record<string, unknown>;
  planId: string | undefined;
  /**
   * For statements with RETURNING: a few of the rows the write would touch (from a dry run), as the person should
   * read them. Absent: the plan shows the statement and the count only.
   */
  sample?: (returning: EncodedRows) => { columns: string[]; rows: unknown[][] } | undefined;
}

export interface AuditedWrite {
  result: WriteResult;
  /** Set when the write went over the budget with a person's (or the operator's) approval. */
  consent?: { decision: string; planId: string };
}

const SAMPLE_ROWS = 5;
const MAX_SAMPLE_CELL = 200;
const LAUNCH_FLAG = '--allow-large-writes';

/** A cell as the review shows it: text, numbers and booleans as they are; anything else as (shortened) JSON. */
function planCell(value: unknown): PlanCell {
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return value;
  if (value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return `<blob, ${value.byteLength} bytes>`;
  const text =
    typeof value === 'string' ? value : typeof value === 'bigint' ? String(value) : JSON.stringify(value);
  return shortenText(text, MAX_SAMPLE_CELL);
}

const SAMPLE_OP: Record<string, 'insert' | 'update' | 'delete'> = {
  INSERT: 'insert',
  REPLACE: 'insert',
  UPDATE: 'update',
  DELETE: 'delete',
};

/**
 * Runs one write through the query host with its audit row. Over the budget (or unbounded), the host rolls back
 * and reports how many rows it would touch; then a plan is made of the statement, its values, the count and a
 * sample of the rows, and consent is obtained through the ladder (the operator's --allow-large-writes first) and
 * recorded in the audit row; then the write runs again. A bounded write runs again with a budget of exactly what
 * was measured and approved, so consent never covers more rows than the person saw.
 */
export async function runAuditedWrite(
  context: CallContext<WriteServices>,
  statement: WriteStatement,
  prompt: ConsentPrompt,
): Promise<AuditedWrite> {
  const { services, signal } = context;
  const { config } = services;
  const runner = services.queries();
  /** The host commits the ok row with the change; a dry run (or a rolled-back write) commits nothing. */
  const hostWrite = (request: Omit<WriteRequest, 'audit'>): Promise<WriteResult> =>
    context.commitWithAudit(
      (row) => runner.write({ ...request, audit: auditAppendFor(services, row()) }, { signal }),
      (result) => result.auditId !== undefined,
    );
  const send = (budget: number, allowOverBudget: boolean): Promise<WriteResult> =>
    hostWrite({ ...statement, budget, allowOverBudget });

  // The session's remaining allowance, not only the per-call budget: many small writes add up (write-budget.ts).
  const allowance = services.writes.allowance();
  let measured: AppError;
  try {
    const result = await send(allowance, false);
    if (!statement.dryRun) services.writes.recordUnapproved(result.rowsAffected);
    return { result };
  } catch (error) {
    if (
      !(error instanceof AppError) ||
      error.code !== 'LIMIT_EXCEEDED' ||
      typeof error.details?.wouldAffect !== 'number' ||
      statement.dryRun
    )
      throw error;
    measured = error;
  }
  const details = measured.details ?? {};
  const wouldAffect = details.wouldAffect as number;
  const verb = typeof details.verb === 'string' ? details.verb : '';
  const table = typeof details.table === 'string' ? details.table : 'the table';

  // Some of the rows it would write, from a dry run, for the person to see real values.
  let sample: RowChangeSample | undefined;
  if (prompt.sample) {
    const dry = await hostWrite({
      ...statement,
      dryRun: true,
      maxRows: SAMPLE_ROWS,
      budget: allowance,
      allowOverBudget: false,
    }).catch(() => undefined);
    const rows = dry?.returning ? prompt.sample(dry.returning) : undefined;
    const op = SAMPLE_OP[verb.toUpperCase()] ?? 'update';
    if (rows && rows.rows.length > 0)
      sample = {
        table,
        columns: rows.columns,
        rows: rows.rows.map((row) => ({ op, [op === 'delete' ? 'before' : 'after']: row.map(planCell) })),
        total: wouldAffect,
      };
  }

  const view = auditedStatement(prompt.sql, prompt.params);
  const record = await obtainConsent(context, {
    tool: prompt.tool,
    plan: writePlan({
      tool: prompt.tool,
      // The whole effective statement (comments and padding gone, long literals shortened with a count, see
      // sql/effective-text.ts) and every bound value: a comment cannot dress the write up as something else.
      sql: view.statement as string,
      ...(view.params !== undefined
        ? {
            params: (view.params as Array<[string, unknown]>).map(
              ([label, value]) => `${label} = ${JSON.stringify(value) ?? 'null'}`,
            ),
          }
        : {}),
      table,
      wouldAffect,
      budget: allowance,
      ...(allowance < config.writeBudget
        ? { session: { used: services.writes.usedRows, budget: services.writes.perSession } }
        : {}),
      ...(typeof details.reason === 'string' ? { unboundedReason: details.reason } : {}),
      ...(sample ? { sample } : {}),
      database: databaseBinding(services.read, services.project.dbFile),
      args: planArguments(prompt.args),
    }),
    launchOption: { flag: LAUNCH_FLAG, granted: config.allowLargeWrites },
    planId: prompt.planId,
    nothingWas: 'written',
  });
  const result = await send(Math.max(allowance, wouldAffect), details.unbounded === true);
  services.writes.recordApproved();
  return { result, consent: { decision: describeConsent(record, LAUNCH_FLAG), planId: record.planId } };
}
