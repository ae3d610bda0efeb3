// tools/list: what a client is told about each tool — names, descriptions, input schemas, and annotations derived
// from the tool's declared effect (the same effect the registry enforces, so a hint can never promise more than
// the code keeps). Pure: the build computes the listing once per mode and embeds it (src/mcp/tool-listing.ts).
import { z } from 'zod';
import { TOOL_VIEWS, toolUiMeta } from '../views/app-meta.js';
import type { ToolDefinition, ToolEffect } from './types.js';

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
  /** For clients that render MCP Apps: the tool's view (`ui.resourceUri`), or who may call it (`ui.visibility`). */
  _meta?: { ui: Record<string, unknown> };
}

/** Which listing a client gets: with the MCP App views and the app-only tool, or without. */
export interface ListingOptions {
  readOnly: boolean;
  apps: boolean;
}

/** The variant's name among the listings the build embeds, e.g. "readOnly+apps". */
export function listingKey({ readOnly, apps }: ListingOptions): string {
  return `${readOnly ? 'readOnly' : 'normal'}${apps ? '+apps' : ''}`;
}

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

/**
 * Whether a tool's results carry database rows, whose text block is only a summary (see src/mcp/call-result.ts). Only
 * those declare an output schema, so that every client reads their structuredContent. For the others the text
 * block is the whole result, and a declared schema would only cost: a client compiles a validator per schema
 * when it lists tools (~1.6 ms each with the SDK's ajv) and runs it on every result, and the schema rides along
 * in the model's context on every turn while the description already says what comes back.
 */
function carriesRows(tool: ToolDefinition): boolean {
  const shape = (tool.outputSchema as { shape?: Record<string, unknown> }).shape;
  // Only the query tools' rows (columns + rows, or RETURNING): other fenced results (a schema, the audit log, a dry
  // run quoting SQLite) repeat themselves whole in the text block.
  return shape !== undefined && 'untrusted' in shape && ('columns' in shape || 'returning' in shape);
}

/**
 * tools/list as a client sees it. Pure: the build computes it once per variant and embeds it (see
 * tool-listing.ts). Without `apps` the listing has neither views nor app-only tools: not a byte of the Apps
 * extension reaches a client that did not ask for it.
 */
export function listTools(
  tools: readonly ToolDefinition[],
  { readOnly, apps }: ListingOptions,
): ToolListing[] {
  return tools.flatMap((tool) => {
    if (tool.appOnly && !apps) return [];
    const disabled = readOnly && refusedInReadOnly(tool.effect);
    const view = apps ? TOOL_VIEWS[tool.name] : undefined;
    return {
      name: tool.name,
      title: tool.title,
      description: disabled
        ? `[Disabled: the server was started with --read-only; calls are refused.] ${tool.description}`
        : tool.description,
      inputSchema: jsonSchema(tool.inputSchema, 'input'),
      ...(carriesRows(tool) ? { outputSchema: jsonSchema(tool.outputSchema, 'output') } : {}),
      annotations: annotationsFor(tool, readOnly),
      ...(tool.appOnly ? { _meta: toolUiMeta(undefined, ['app']) } : view ? { _meta: toolUiMeta(view) } : {}),
    };
  });
}
