// A CallContext without MCP, for unit tests of the procedures in src/app: it records what the procedure tells the
// audit row, builds the ok row the way the registry does (with the same CallRecord) and notes whether the change
// committed it. Real databases go in `services`; nothing here stands in for SQLite.
import type { AuditRowExtra, CallContext, ElicitRequest, ElicitResult } from '../../src/app/call-context.js';
import { CallRecord } from '../../src/audit/call-record.js';
import type { AuditEntry } from '../../src/audit/entry.js';

export interface RecordedCall<S> {
  context: CallContext<S>;
  /** What the procedure added to the audit row. */
  details: Record<string, unknown>;
  target: { type: string; id: string } | undefined;
  /** True once a change committed the call's ok row. */
  committed: boolean;
  /** The questions put to the human. */
  asked: ElicitRequest[];
  progress: string[];
}

export interface RecordingOptions {
  /** Answers an elicitation; may wait (until `signal` aborts, to test our timeout). */
  elicit?: (request: ElicitRequest, signal: AbortSignal | undefined) => ElicitResult | Promise<ElicitResult>;
  signal?: AbortSignal;
  rendersApps?: boolean;
  reviewPage?: boolean;
}

export function recordingContext<S>(services: S, options: RecordingOptions = {}): RecordedCall<S> {
  const recorded: RecordedCall<S> = {
    details: {},
    target: undefined,
    committed: false,
    asked: [],
    progress: [],
    context: undefined as unknown as CallContext<S>,
  };
  // The ok row, put together exactly as the registry does it.
  const record = new CallRecord('unit', 'vitest');
  const row = (extra: AuditRowExtra = {}): AuditEntry => record.entry('ok', extra);
  const answer = options.elicit;
  recorded.context = {
    services,
    signal: options.signal ?? new AbortController().signal,
    client: 'vitest',
    progress: async (_progress, _total, message) => {
      recorded.progress.push(message ?? '');
    },
    elicit: answer
      ? async (request, { signal } = {}) => {
          recorded.asked.push(request);
          return answer(request, signal);
        }
      : undefined,
    rendersApps: options.rendersApps ?? false,
    reviewPage: options.reviewPage ?? false,
    setTarget: (type, id) => {
      recorded.target = { type, id };
      record.setTarget(type, id);
    },
    addAuditDetails: (details) => {
      Object.assign(recorded.details, details);
      record.addDetails(details);
    },
    async commitWithAudit(work, committed) {
      const result = await work(row);
      if (committed?.(result) ?? true) recorded.committed = true;
      return result;
    },
  };
  return recorded;
}
