// The only place tools are registered, timed, audited and their failures mapped. Every tools/call — including
// an unknown tool name or invalid arguments, which McpServer would reject before any handler ran — passes
// through `call`, so each one gets exactly one audit row. The MCP server and the `call` CLI command share it.
import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import { buildAuditDetails, type AuditEntry } from '../audit/audit-log.js';
import { AppError, toAppError, type Outcome } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { Services } from '../app/services.js';
import type { ElicitRequest, ElicitResult, ToolDefinition, ToolEffect } from './types.js';

/** The tool's title is sent once, at the top level of its listing, not again inside its annotations. */
export interface ToolAnnotations {
  readOnlyHint: boolean;
  destructiveHint: boolean;
  idempotentHint: boolean;
  openWorldHint: false;
}

export interface ToolListing {
  name: string;
  title: string;
  description: string;
  inputSchema: Record<string, unknown>;
  outputSchema?: Record<string, unknown>;
  annotations: ToolAnnotations;
}

/** Per-call facilities that depend on the transport (MCP session or CLI). */
export interface CallEnvironment {
  client: string;
  signal?: AbortSignal;
  progress?: (progress: number, total?: number, message?: string) => Promise<void>;
  elicit?: (request: ElicitRequest) => Promise<ElicitResult>;
}

export type CallOutcome = { ok: true; data: Record<string, unknown> } | { ok: false; error: AppError };

/** Whether read-only mode refuses a tool: anything but a pure read changes something the human protected. */
export function refusedInReadOnly(effect: ToolEffect): boolean {
  return effect !== 'read';
}

export function annotationsFor(tool: ToolDefinition, readOnly: boolean): ToolAnnotations {
  const disabled = readOnly && refusedInReadOnly(tool.effect);
  return {
    readOnlyHint: tool.effect === 'read' || disabled,
    destructiveHint: !disabled && (tool.effect === 'write' || tool.effect === 'destructive'),
    idempotentHint: tool.effect === 'read' || disabled || tool.idempotent,
    openWorldHint: false,
  };
}

type JsonSchema = Record<string, unknown>;

/**
 * Noise zod emits that tells a model nothing: the integer range of `.int()`, string-keyed records, "any extra
 * property" markers, and the large size bounds that exist only to stop abuse (zod still enforces them).
 */
function stripNoise(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(stripNoise);
  if (node === null || typeof node !== 'object') return node;
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === '$schema' || key === 'propertyNames') continue;
    if (
      (key === 'maximum' && value === Number.MAX_SAFE_INTEGER) ||
      (key === 'minimum' && value === Number.MIN_SAFE_INTEGER)
    )
      continue;
    if ((key === 'maxItems' || key === 'maxLength') && typeof value === 'number' && value >= 100) continue;
    if (
      key === 'additionalProperties' &&
      typeof value === 'object' &&
      value !== null &&
      Object.keys(value).length === 0
    )
      continue;
    out[key] = stripNoise(value);
  }
  return out;
}

/**
 * The output schema as sent in tools/list: the top-level fields with their types, nested shapes only as
 * "object"/"array". Every tool's schemas ride along on every turn of the model's context; the full shape lives
 * in the zod schema (checked in tests) and in the tool descriptions, where the model actually reads it.
 */
function shallowOutputSchema(schema: JsonSchema): JsonSchema {
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const shallow: Record<string, JsonSchema> = {};
  for (const [name, property] of Object.entries(properties)) {
    const type = property.type ?? (property.enum ? 'string' : undefined);
    shallow[name] = type === undefined ? {} : ({ type } as JsonSchema);
  }
  return { type: 'object', properties: shallow };
}

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const full = stripNoise(z.toJSONSchema(schema, { io, unrepresentable: 'any' })) as JsonSchema;
  return io === 'output' ? shallowOutputSchema(full) : full;
}

function formatZodError(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => {
      const where = issue.path.length ? issue.path.join('.') : 'arguments';
      return `${where}: ${issue.message}`;
    })
    .join('; ');
}

export interface ToolRegistry {
  list(): Promise<ToolListing[]>;
  /** Loads the tool modules now rather than on the first call. */
  warm(): Promise<void>;
  call(name: string, args: unknown, env: CallEnvironment): Promise<CallOutcome>;
}

/**
 * Whether a tool's results carry database rows, whose text block is only a summary (see toCallToolResult). Only
 * those declare an output schema, so that every client reads their structuredContent. For the others the text
 * block is the whole result, and a declared schema would only cost: a client compiles a validator per schema
 * when it lists tools (~1.6 ms each with the SDK's ajv) and runs it on every result, and the schema rides along
 * in the model's context on every turn while the description already says what comes back.
 */
function carriesRows(tool: ToolDefinition): boolean {
  const shape = (tool.outputSchema as { shape?: Record<string, unknown> }).shape;
  return shape !== undefined && 'untrusted' in shape;
}

/** tools/list as a client sees it. Pure: the build computes it once and embeds it (see tool-listing.ts). */
export function listTools(tools: readonly ToolDefinition[], readOnly: boolean): ToolListing[] {
  return tools.map((tool) => {
    const disabled = readOnly && refusedInReadOnly(tool.effect);
    return {
      name: tool.name,
      title: tool.title,
      description: disabled
        ? `[Disabled: the server was started with --read-only; calls are refused.] ${tool.description}`
        : tool.description,
      inputSchema: jsonSchema(tool.inputSchema, 'input'),
      ...(carriesRows(tool) ? { outputSchema: jsonSchema(tool.outputSchema, 'output') } : {}),
      annotations: annotationsFor(tool, readOnly),
    };
  });
}

export function createToolRegistry(options: {
  /**
   * The tools, or how to load them: the server loads the tool modules (and the domain behind them) only when a
   * call needs them, so initialize and tools/list do not wait for that code.
   */
  tools: readonly ToolDefinition[] | (() => Promise<readonly ToolDefinition[]>);
  /** tools/list computed at build time for this mode; without it the listing is computed from the tools. */
  listing?: ToolListing[];
  services: () => Promise<Services>;
  readOnly: boolean;
  logger: Logger;
  /**
   * Check every result against the tool's full zod output schema (tools/list sends only a shallow one). Tests
   * turn it on; in production it would put a second walk of every result on the hot path.
   */
  verifyOutputs?: boolean;
}): ToolRegistry {
  const { readOnly, logger } = options;
  let loaded: Promise<Map<string, ToolDefinition>> | undefined;
  const byName = () =>
    (loaded ??= Promise.resolve(typeof options.tools === 'function' ? options.tools() : options.tools).then(
      (tools) => new Map(tools.map((tool) => [tool.name, tool])),
    ));
  let listing: Promise<ToolListing[]> | undefined = options.listing && Promise.resolve(options.listing);

  const list = (): Promise<ToolListing[]> =>
    (listing ??= byName().then((tools) => listTools([...tools.values()], readOnly)));

  async function call(name: string, args: unknown, env: CallEnvironment): Promise<CallOutcome> {
    const started = performance.now();
    const createdAt = new Date().toISOString();
    const signal = env.signal ?? new AbortController().signal;
    let target: { type: string; id: string } | undefined;
    let extraDetails: Record<string, unknown> | undefined;
    let committed: { rowsAffected?: number } | undefined;
    let services: Services | undefined;

    const entry = (
      outcome: Outcome,
      extra: { errorCode?: string; rowsAffected?: number; details?: Record<string, unknown> } = {},
    ): AuditEntry => {
      const details = { ...extraDetails, ...extra.details };
      return {
        createdAt,
        tool: name,
        outcome,
        errorCode: extra.errorCode ?? null,
        durationMs: performance.now() - started,
        client: env.client,
        targetType: target?.type ?? null,
        targetId: target?.id ?? null,
        details: buildAuditDetails(
          Object.keys(details).length ? { arguments: args, ...details } : (args ?? {}),
        ),
        rowsAffected: extra.rowsAffected ?? null,
      };
    };

    const fail = async (error: AppError): Promise<CallOutcome> => {
      try {
        const live = (services ??= await options.services());
        const row = entry(error.outcome, { errorCode: error.code });
        await live.exclusive(() => live.audit.append(row));
      } catch (auditError) {
        logger.error('could not write the audit row for a failed call', {
          tool: name,
          error: String(auditError),
        });
        // The call already failed; keep its own error, which says more than the audit failure.
      }
      return { ok: false, error };
    };

    let tools: Map<string, ToolDefinition>;
    try {
      tools = await byName();
    } catch (error) {
      logger.error('could not load the tools', { error: String(error) });
      return fail(toAppError(error));
    }
    const tool = tools.get(name);
    if (!tool) {
      return fail(
        new AppError('UNKNOWN_TOOL', `There is no tool named "${name}".`, {
          hint: `Use one of: ${[...tools.keys()].join(', ')}.`,
        }),
      );
    }
    // The mode decides before the arguments: fixing them would not help.
    if (readOnly && refusedInReadOnly(tool.effect)) {
      return fail(
        new AppError('READ_ONLY_MODE', `${name} is disabled: the server was started with --read-only.`, {
          hint: 'Only the human can allow writes, by restarting the server without --read-only in their client config.',
        }),
      );
    }
    const parsed = tool.inputSchema.safeParse(args ?? {});
    if (!parsed.success) {
      return fail(
        new AppError('INVALID_ARGUMENT', `Invalid arguments for ${name}: ${formatZodError(parsed.error)}.`, {
          hint: 'Fix the arguments to match the tool input schema (see tools/list) and call again.',
        }),
      );
    }
    try {
      services = await options.services();
      const live = services;
      const result = await tool.handler(parsed.data, {
        services: live,
        signal,
        client: env.client,
        progress: env.progress ?? (async () => {}),
        elicit: env.elicit,
        setTarget(type, id) {
          target = { type, id };
        },
        addAuditDetails(details) {
          extraDetails = { ...extraDetails, ...details };
        },
        commitAudit: {
          entry: (extra = {}) => entry('ok', extra),
          committed: () => {
            committed = {};
          },
        },
      });
      if (signal.aborted) throw new AppError('CANCELLED', `${name} was cancelled by the client.`);
      if (options.verifyOutputs) {
        const checked = tool.outputSchema.safeParse(result.data);
        if (!checked.success)
          throw new Error(
            `${name} returned data that does not match its output schema: ${formatZodError(checked.error)}`,
          );
      }
      if (committed) return { ok: true, data: result.data };
      try {
        const row = entry(
          'ok',
          result.rowsAffected === undefined ? {} : { rowsAffected: result.rowsAffected },
        );
        await live.exclusive(() => live.audit.append(row));
        return { ok: true, data: result.data };
      } catch (auditError) {
        // Fail closed: a result whose audit row could not be written is not returned. Writing an error row
        // would meet the same locked or full database, so none is attempted.
        return { ok: false, error: toAppError(auditError) };
      }
    } catch (thrown) {
      const error =
        signal.aborted && !(thrown instanceof AppError && thrown.code === 'CANCELLED')
          ? new AppError('CANCELLED', `${name} was cancelled by the client.`, { cause: thrown })
          : toAppError(thrown);
      if (error.code === 'INTERNAL') {
        logger.error(`internal error in ${name}`, {
          error: thrown instanceof Error ? (thrown.stack ?? thrown.message) : String(thrown),
        });
      }
      if (committed) {
        // The change and its ok row are committed; what failed came after. Report it, but do not add a second row.
        return { ok: false, error };
      }
      return fail(error);
    }
  }

  return { list, call, warm: () => byName().then(() => undefined) };
}

/** The text a model reads for a failed call: what went wrong, what to do, and the stable code. */
export function errorText(error: AppError): string {
  const parts = [error.message];
  if (error.hint) parts.push(`What to do: ${error.hint}`);
  if (error.details && Object.keys(error.details).length)
    parts.push(`Details: ${JSON.stringify(error.details)}`);
  parts.push(`(error code: ${error.code})`);
  return parts.join('\n');
}
