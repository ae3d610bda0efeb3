// A CallContext without MCP, for unit tests of the procedures in src/app: it records what the procedure tells the
// audit row, builds the ok row the way the registry does (CallRecord's shape) and notes whether the change
// committed it. Real databases go in `services`; nothing here stands in for SQLite.
import type { CallContext, ElicitRequest, ElicitResult } from '../../src/app/call-context.js';
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

export function recordingContext<S>(
  services: S,
  options: { elicit?: (request: ElicitRequest) => ElicitResult; signal?: AbortSignal } = {},
): RecordedCall<S> {
  const recorded: RecordedCall<S> = {
    details: {},
    target: undefined,
    committed: false,
    asked: [],
    progress: [],
    context: undefined as unknown as CallContext<S>,
  };
  const row = (extra: { rowsAffected?: number; details?: Record<string, unknown> } = {}): AuditEntry => ({
    createdAt: new Date().toISOString(),
    tool: 'unit',
    outcome: 'ok',
    durationMs: 1,
    client: 'vitest',
    targetType: recorded.target?.type ?? null,
    targetId: recorded.target?.id ?? null,
    details: JSON.stringify({ ...recorded.details, ...extra.details }),
    rowsAffected: extra.rowsAffected ?? null,
  });
  const answer = options.elicit;
  recorded.context = {
    services,
    signal: options.signal ?? new AbortController().signal,
    client: 'vitest',
    progress: async (_progress, _total, message) => {
      recorded.progress.push(message ?? '');
    },
    elicit: answer
      ? async (request) => {
          recorded.asked.push(request);
          return answer(request);
        }
      : undefined,
    setTarget: (type, id) => {
      recorded.target = { type, id };
    },
    addAuditDetails: (details) => {
      Object.assign(recorded.details, details);
    },
    async commitWithAudit(work, committed) {
      const result = await work(row);
      if (committed?.(result) ?? true) recorded.committed = true;
      return result;
    },
  };
  return recorded;
}
