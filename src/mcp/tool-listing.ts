// tools/list is fixed for a build, a mode and whether the client renders MCP Apps, and computing it means loading
// every tool module and walking its zod schemas into JSON Schema — the slowest part of answering tools/list.
// scripts/build.mjs computes each variant once and embeds them here; running from source (tests), the registry
// computes them from the tools instead.
import type { ToolListing } from '../tools/listing.js';

declare const __TOOL_LISTINGS__: string | undefined;

/** Every variant, keyed by listingKey. */
export function prebuiltListings(): Record<string, ToolListing[]> | undefined {
  if (typeof __TOOL_LISTINGS__ !== 'string') return undefined;
  return JSON.parse(__TOOL_LISTINGS__) as Record<string, ToolListing[]>;
}
