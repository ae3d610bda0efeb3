// The only place tools are looked up, called, timed, audited and their failures mapped. Every tools/call —
// including an unknown tool name or invalid arguments, which McpServer would reject before any handler ran —
// passes through `call`, so each one gets exactly one audit row. The MCP server and the `call` CLI command share
// it. A call is a fixed sequence of named steps (see `call`); any step may refuse by throwing an AppError, and
// one place turns what was thrown into the outcome and its audit row.
import type { z } from 'zod';
import { CallRecord } from '../audit/call-record.js';
import { AppError, ERROR_CODES, readOnlyMode, toAppError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { didYouMean } from '../core/suggest.js';
import { describeIssues } from '../core/zod-issues.js';
import { shortenText } from '../core/text.js';
import type { Services } from '../app/services.js';
import {
  listingKey,
  listTools,
  refusedInReadOnly,
  type ListingOptions,
  type ToolListing,
} from './listing.js';
import type { ElicitRequest, ElicitResult } from '../app/call-context.js';
import type { ToolDefinition, ToolResult } from './types.js';

/** Per-call facilities that depend on the transport (MCP session or CLI). */
export interface CallEnvironment {
  client: string;
  signal?: AbortSignal;
  progress?: (progress: number, total?: number, message?: string) => Promise<void>;
  elicit?: (request: ElicitRequest, options?: { signal?: AbortSignal }) => Promise<ElicitResult>;
  /** The client declared the MCP Apps extension: it gets the views and the app-only tool. */
  rendersApps?: boolean;
  /** The call may open the local review page in the person's browser (MCP sessions; not the CLI). */
  reviewPage?: boolean;
  /** Where the human sets launch options: the MCP client's config (default) or the `call` command line. */
  launch?: 'mcp-client' | 'command-line';
}

type ToolInput = z.output<ToolDefinition['inputSchema']>;

export type CallOutcome =
  | { ok: true; data: Record<string, unknown>; meta?: Record<string, unknown> }
  | { ok: false; error: AppError };

export interface ToolRegistry {
  /** tools/list for a client that does (`apps`) or does not render MCP Apps. */
  list(options?: { apps?: boolean }): Promise<ToolListing[]>;
  /** Loads the tool modules now rather than on the first call. */
  warm(): Promise<void>;
  call(name: string, args: unknown, env: CallEnvironment): Promise<CallOutcome>;
}

export interface ToolRegistryOptions {
  /**
   * The tools, or how to load them: the server loads the tool modules (and the domain behind them) only when a
   * call needs them, so initialize and tools/list do not wait for that code.
   */
  tools: readonly ToolDefinition[] | (() => Promise<readonly ToolDefinition[]>);
  /** tools/list computed at build time, by variant (see listingKey); without it, computed from the tools. */
  listings?: Record<string, ToolListing[]>;
  services: () => Promise<Services>;
  readOnly: boolean;
  logger: Logger;
  /**
   * Check every result against the tool's full zod output schema (tools/list sends only a shallow one). Tests
   * turn it on; in production it would put a second walk of every result on the hot path.
   */
  verifyOutputs?: boolean;
}

/** Paths of the fields present with the value undefined. */
function undefinedFields(value: unknown, at = '$'): string[] {
  if (Array.isArray(value)) return value.flatMap((item, index) => undefinedFields(item, `${at}[${index}]`));
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, inner]) =>
    inner === undefined ? [`${at}.${key}`] : undefinedFields(inner, `${at}.${key}`),
  );
}

export function createToolRegistry(options: ToolRegistryOptions): ToolRegistry {
  const { readOnly, logger } = options;
  let loaded: Promise<Map<string, ToolDefinition>> | undefined;
  const byName = () =>
    (loaded ??= Promise.resolve(typeof options.tools === 'function' ? options.tools() : options.tools).then(
      (tools) => new Map(tools.map((tool) => [tool.name, tool])),
    ));
  const listings = new Map<string, Promise<ToolListing[]>>();
  const list = ({ apps = false }: { apps?: boolean } = {}): Promise<ToolListing[]> => {
    const variant: ListingOptions = { readOnly, apps };
    const key = listingKey(variant);
    let listing = listings.get(key);
    if (!listing) {
      const prebuilt = options.listings?.[key];
      listing = prebuilt
        ? Promise.resolve(prebuilt)
        : byName().then((tools) => listTools([...tools.values()], variant));
      listings.set(key, listing);
    }
    return listing;
  };

  /**
   * Step 1: the tool by name (UNKNOWN_TOOL names the ones that exist). An app-only tool exists only for a client
   * that renders MCP Apps, as the listing says.
   */
  async function resolveTool(name: string, env: CallEnvironment): Promise<ToolDefinition> {
    const tools = await byName();
    const tool = tools.get(name);
    if (tool && (!tool.appOnly || env.rendersApps)) return tool;
    const known = [...tools.values()]
      .filter((candidate) => !candidate.appOnly || env.rendersApps)
      .map((candidate) => candidate.name);
    throw new AppError(
      'UNKNOWN_TOOL',
      `There is no tool named "${shortenText(name, 100)}".${didYouMean(name, known)}`,
      { hint: `Use one of: ${known.join(', ')}.` },
    );
  }

  /** Step 2: the launch mode decides before the arguments do: fixing them would not help. */
  function refuseInReadOnlyMode(tool: ToolDefinition, env: CallEnvironment): void {
    if (readOnly && refusedInReadOnly(tool.effect)) throw readOnlyMode(tool.name, env.launch);
  }

  /** Step 3: the arguments, checked against the tool's input schema. */
  function parseArguments(tool: ToolDefinition, args: unknown): ToolInput {
    const parsed = tool.inputSchema.safeParse(args ?? {});
    if (parsed.success) return parsed.data;
    throw new AppError(
      'INVALID_ARGUMENT',
      `Invalid arguments for ${tool.name}: ${describeIssues(parsed.error)}.`,
      {
        hint: 'Fix the arguments to match the tool input schema (see tools/list) and call again.',
      },
    );
  }

  /** Step 4: the handler, given the services and what it may tell the audit row. */
  async function runHandler(
    tool: ToolDefinition,
    input: ToolInput,
    services: Services,
    env: CallEnvironment,
    signal: AbortSignal,
    record: CallRecord,
  ): Promise<ToolResult<Record<string, unknown>>> {
    const result = await tool.handler(input, {
      services,
      signal,
      client: env.client,
      launch: env.launch ?? 'mcp-client',
      progress: env.progress ?? (async () => {}),
      elicit: env.elicit,
      rendersApps: env.rendersApps ?? false,
      reviewPage: env.reviewPage ?? false,
      setTarget: (type, id) => record.setTarget(type, id),
      addAuditDetails: (details) => record.addDetails(details),
      async commitWithAudit(work, committed) {
        const result = await work((extra = {}) => record.entry('ok', extra));
        if (committed?.(result) ?? true) record.committed = true;
        return result;
      },
    });
    // A handler that returned did what it returned, whether or not the client still waits for the answer: the
    // audit row must say so (generate_migration may have written its files), never "cancelled, nothing happened".
    if (signal.aborted) record.addDetails({ clientCancelled: true });
    return result;
  }

  /**
   * Step 5 (tests): the result against the tool's full output schema, and the promise to leave empty fields
   * out (the transports drop a field set to undefined on the way, so only here can a test see one).
   */
  function verifyOutput(tool: ToolDefinition, data: unknown): void {
    if (!options.verifyOutputs) return;
    const checked = tool.outputSchema.safeParse(data);
    if (!checked.success)
      throw new Error(
        `${tool.name} returned data that does not match its output schema: ${describeIssues(checked.error)}`,
      );
    const leftIn = undefinedFields(data);
    if (leftIn.length)
      throw new Error(
        `${tool.name} returned fields set to undefined instead of leaving them out: ${leftIn.join(', ')}`,
      );
  }

  /**
   * Step 6: the ok row, unless the tool committed it with its change (or, for a result that reports a failure,
   * the error row with that code). Fail closed: a result whose audit row could not be written is not returned. Writing an error row would meet the same locked or full database, so
   * none is attempted.
   */
  async function recordSuccess(
    services: Services,
    record: CallRecord,
    result: ToolResult<Record<string, unknown>>,
  ): Promise<CallOutcome> {
    const ok: CallOutcome = { ok: true, data: result.data, ...(result.meta ? { meta: result.meta } : {}) };
    if (record.committed) return ok;
    try {
      const row = record.entry(result.failure ? ERROR_CODES[result.failure] : 'ok', {
        ...(result.failure ? { errorCode: result.failure } : {}),
        ...(result.rowsAffected === undefined ? {} : { rowsAffected: result.rowsAffected }),
      });
      await services.exclusive(() => services.audit.append(row));
      return ok;
    } catch (auditError) {
      return { ok: false, error: toAppError(auditError) };
    }
  }

  /** What was thrown, as the error the caller gets: a cancelled call says so, an unknown throwable is INTERNAL. */
  function toCallError(name: string, thrown: unknown, signal: AbortSignal): AppError {
    const error =
      signal.aborted && !(thrown instanceof AppError && thrown.code === 'CANCELLED')
        ? new AppError('CANCELLED', `${name} was cancelled by the client.`, { cause: thrown })
        : toAppError(thrown);
    if (error.code === 'INTERNAL') {
      logger.error(`internal error in ${name}`, {
        error: thrown instanceof Error ? (thrown.stack ?? thrown.message) : String(thrown),
      });
    }
    return error;
  }

  /**
   * The error row. A tool that already committed its change and its ok row failed afterwards: report it, but do
   * not add a second row. An audit failure here keeps the call's own error, which says more.
   */
  async function recordFailure(
    name: string,
    record: CallRecord,
    error: AppError,
    servicesFailed: boolean,
  ): Promise<CallOutcome> {
    if (record.committed) return { ok: false, error };
    if (servicesFailed) {
      // The project (and with it the audit log) could not be opened: there is nowhere to write the row, and
      // opening again here would only fail again.
      logger.warn('a call was answered without an audit row: the project could not be opened', {
        tool: name,
      });
      return { ok: false, error };
    }
    try {
      const services = await options.services();
      const row = record.entry(error.outcome, { errorCode: error.code });
      await services.exclusive(() => services.audit.append(row));
    } catch (auditError) {
      logger.error('could not write the audit row for a failed call', {
        tool: name,
        error: String(auditError),
      });
    }
    return { ok: false, error };
  }

  /**
   * Step 7: what the session's start has to tell (a database just created, a failed start-up migration), carried
   * once, in the first successful result — inside structuredContent, which is all some clients show the model.
   */
  let noticesDelivered = false;
  function withNotices(services: Services, outcome: CallOutcome): CallOutcome {
    if (!outcome.ok || noticesDelivered) return outcome;
    noticesDelivered = true;
    return services.notices.length > 0
      ? { ...outcome, data: { ...outcome.data, notices: [...services.notices] } }
      : outcome;
  }

  /**
   * Step 8: the chain's head, now committed, recorded outside the database (audit/anchor.ts). Never breaks the
   * call: the chain inside the database stands on its own, and a failure here is logged.
   */
  async function anchorChain(): Promise<void> {
    try {
      const services = await options.services();
      await services.exclusive(() => services.audit.syncAnchor());
    } catch (error) {
      logger.warn('could not record the audit chain head outside the database', { error: String(error) });
    }
  }

  async function call(name: string, args: unknown, env: CallEnvironment): Promise<CallOutcome> {
    const attempt = { servicesFailed: false };
    const outcome = await callAndRecord(name, args, env, attempt);
    // A project that could not be opened has no audit log to anchor, and opening it again would only fail again.
    if (!attempt.servicesFailed) await anchorChain();
    return outcome;
  }

  async function callAndRecord(
    name: string,
    args: unknown,
    env: CallEnvironment,
    attempt: { servicesFailed: boolean },
  ): Promise<CallOutcome> {
    const record = new CallRecord(name, env.client, args);
    const signal = env.signal ?? new AbortController().signal;
    try {
      const tool = await resolveTool(name, env);
      refuseInReadOnlyMode(tool, env);
      const input = parseArguments(tool, args);
      if (tool.auditArguments) record.recordArguments(tool.auditArguments(input));
      const services = await options.services().catch((error: unknown) => {
        attempt.servicesFailed = true;
        throw error;
      });
      const result = await runHandler(tool, input, services, env, signal, record);
      verifyOutput(tool, result.data);
      return withNotices(services, await recordSuccess(services, record, result));
    } catch (thrown) {
      return recordFailure(name, record, toCallError(name, thrown, signal), attempt.servicesFailed);
    }
  }

  return { list, call, warm: () => byName().then(() => undefined) };
}
