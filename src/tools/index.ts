// The tool surface, in the order tools/list presents it. The registry is the only consumer.
import { inspectSchema } from './inspect-schema.js';
import { readAuditLog } from './read-audit-log.js';
import type { ToolDefinition } from './types.js';

export const ALL_TOOLS: readonly ToolDefinition[] = [inspectSchema, readAuditLog];
