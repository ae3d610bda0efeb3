// The one path every write takes (execute_sql, write_rows): through the query host, with the call's audit row
// committed in the write's own transaction, and over the budget only with the human's consent (asked through
// elicitation, or given at launch with --allow-large-writes; never a tool argument). Invariant: consent never
// covers more rows than the human was shown.
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
import type { CallContext } from './call-context.js';
import { askHumanToApprove } from './consent.js';

/** What a write needs of the services: the budgets, where the audit row goes, and the query host. */
export interface WriteServices {
  config: Pick<Config, 'writeBudget' | 'allowLargeWrites'>;
  writes: SessionWriteBudget;
  audit: { readonly table: string };
  tables: Pick<ServerTables, 'auditInProjectDb'>;
  /** The audit database file (with --audit-db). */
  auditFile: string;
  queries(): Pick<QueryRunner, 'write'>;
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
  /** The statement shown to the human. */
  sql: string;
  params?: QueryParams;
  /**
   * For statements with RETURNING: formats a few of the rows the write would touch (from a dry run) for the
   * human. Absent: the prompt shows the count and the SQL only.
   */
  sample?: (returning: EncodedRows) => string | undefined;
}

export type ConsentSource = 'elicitation' | 'launch option';

export interface AuditedWrite {
  result: WriteResult;
  /** Set when the write went over the budget with the human's consent. */
  consent?: ConsentSource;
}

/** Longest effective statement a consent prompt shows; a longer one is refused rather than shown in part. */
const MAX_SHOWN_STATEMENT = 4000;
const MAX_SHOWN_PARAMS = 20;
const SAMPLE_ROWS = 5;

/**
 * What the human reads before approving a write: the whole effective statement (comments and padding gone, long
 * literals shortened with a count, see sql/effective-text.ts) and its bound values, never a prefix the caller could
 * fill with something harmless-looking. A statement too long to show in full is not put to the human at all.
 */
function consentMessage(prompt: ConsentPrompt, error: AppError, sample: string | undefined): string {
  const wouldAffect = Number(error.details?.wouldAffect);
  const budget = Number(error.details?.budget);
  const reason = typeof error.details?.reason === 'string' ? ` (${error.details.reason})` : '';
  const view = auditedStatement(prompt.sql, prompt.params);
  const statement = view.statement as string;
  if (statement.length > MAX_SHOWN_STATEMENT) {
    throw new AppError(
      'CONSENT_REQUIRED',
      `${error.message} The statement is ${statement.length} characters long even without comments and with long literals shortened, too long to show the human in full, so they were not asked.`,
      {
        hint: 'Write the statement so a person can read it: pass values as bound parameters, and name the rows with a short WHERE clause.',
        ...(error.details ? { details: error.details } : {}),
      },
    );
  }
  const params = (view.params as Array<[string, unknown]> | undefined) ?? [];
  const shownParams = params
    .slice(0, MAX_SHOWN_PARAMS)
    .map(([label, value]) => `  ${label} = ${shortenText(JSON.stringify(value) ?? 'null', 200)}`);
  if (params.length > MAX_SHOWN_PARAMS)
    shownParams.push(`  … and ${params.length - MAX_SHOWN_PARAMS} more values`);
  return [
    `The assistant wants ${prompt.tool} to change ${wouldAffect} row${wouldAffect === 1 ? '' : 's'} (cascades and triggers included); without your approval at most ${budget} may change now${reason}.`,
    `Statement: ${statement}`,
    shownParams.length ? `Values:\n${shownParams.join('\n')}` : '',
    sample ? `Some of the rows it would write:\n${sample}` : '',
    'Approve this write?',
  ]
    .filter(Boolean)
    .join('\n');
}

/**
 * Runs one write through the query host with its audit row. Over the budget (or unbounded), the host rolls back
 * and reports how many rows it would touch; then consent is sought — the launch option, else the human through
 * elicitation — and recorded in the audit row, and the write runs again. A bounded write runs again with a budget
 * of exactly what was measured and shown, so consent never covers more rows than the human saw.
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
  const done = (result: WriteResult, consent?: ConsentSource): AuditedWrite =>
    consent ? { result, consent } : { result };

  // The session's remaining allowance, not only the per-call budget: many small writes add up (write-budget.ts).
  const allowance = services.writes.allowance();
  let measured: AppError;
  try {
    const result = await send(allowance, false);
    if (!statement.dryRun) services.writes.recordUnapproved(result.rowsAffected);
    return done(result);
  } catch (error) {
    if (
      !(error instanceof AppError) ||
      error.code !== 'LIMIT_EXCEEDED' ||
      typeof error.details?.wouldAffect !== 'number' ||
      statement.dryRun
    )
      throw error;
    measured = sessionLimited(error, services.writes);
  }
  const wouldAffect = measured.details?.wouldAffect as number;
  const unbounded = measured.details?.unbounded === true;
  const consentedBudget = Math.max(allowance, wouldAffect);
  const approved = async (consent: ConsentSource): Promise<AuditedWrite> => {
    const result = await send(consentedBudget, unbounded);
    services.writes.recordApproved();
    return done(result, consent);
  };

  const approval = await askHumanToApprove(context, {
    grantedAtLaunch: config.allowLargeWrites,
    // Only when the human will really be asked: showing them sample rows costs a dry run of the write.
    message: async () => {
      let sample: string | undefined;
      if (prompt.sample) {
        const dry = await hostWrite({
          ...statement,
          dryRun: true,
          maxRows: SAMPLE_ROWS,
          budget: allowance,
          allowOverBudget: false,
        }).catch(() => undefined);
        sample = dry?.returning ? prompt.sample(dry.returning) : undefined;
      }
      return consentMessage(prompt, measured, sample);
    },
    checkbox: {
      name: 'approve',
      title: `Change ${wouldAffect} rows`,
      description: 'Tick to let this write run as shown.',
    },
  });
  switch (approval.outcome) {
    case 'approved_by_launch_option':
      context.addAuditDetails({ consent: { by: 'launch option --allow-large-writes', wouldAffect } });
      return approved('launch option');
    case 'unavailable':
      context.addAuditDetails({ consent: { by: 'none (the client cannot ask the human)', wouldAffect } });
      throw new AppError(
        'LIMIT_EXCEEDED',
        `${measured.message} This client cannot ask the human for approval.`,
        {
          hint: 'Only the human can allow this: ask them, and they can restart the server with --allow-large-writes (a launch option in their client config; no tool argument can grant it). Smaller calls count against the same session budget.',
          ...(measured.details ? { details: measured.details } : {}),
        },
      );
    case 'failed':
      if (signal.aborted) throw approval.error;
      context.addAuditDetails({ consent: { by: 'elicitation', decision: 'failed', wouldAffect } });
      throw new AppError(
        'CONSENT_REQUIRED',
        `${measured.message} Asking the human for approval failed: ${approval.error.message}.`,
        {
          hint: 'Ask the human directly; they can allow it by restarting the server with --allow-large-writes.',
          ...(measured.details ? { details: measured.details } : {}),
        },
      );
    default:
      break;
  }
  const decision = {
    approved_by_human: 'approved',
    not_ticked: 'not approved',
    declined: 'declined',
    cancelled: 'cancelled',
  }[approval.outcome];
  context.addAuditDetails({ consent: { by: 'elicitation', decision, wouldAffect } });
  if (approval.outcome !== 'approved_by_human') {
    throw new AppError(
      'CONSENT_REQUIRED',
      `The human did not approve changing ${wouldAffect} rows (${decision}); nothing changed.`,
      {
        hint: 'Do not repeat the same write. Ask the human what they want changed, or narrow it to the rows they agree to.',
        ...(measured.details ? { details: measured.details } : {}),
      },
    );
  }
  return approved('elicitation');
}

/**
 * The host's over-budget refusal, saying so when it was the session's budget, not the call's, that ran out, and
 * without advice to split the change: smaller calls count against the same budget.
 */
function sessionLimited(error: AppError, writes: SessionWriteBudget): AppError {
  if (writes.allowance() >= writes.perCall) return error;
  return new AppError(
    'LIMIT_EXCEEDED',
    `${error.message} This session's writes have already changed ${writes.usedRows} of the ${writes.perSession} rows that may change without the human's approval.`,
    {
      ...(error.hint !== undefined ? { hint: error.hint } : {}),
      details: { ...error.details, sessionUsed: writes.usedRows, sessionBudget: writes.perSession },
    },
  );
}
