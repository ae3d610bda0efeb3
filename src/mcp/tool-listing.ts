// tools/list is fixed for a build and a mode, and computing it means loading every tool module and walking its
// zod schemas into JSON Schema — the slowest part of answering tools/list. scripts/build.mjs computes it once per
// mode and embeds it here; running from source (tests), the registry computes it from the tools instead.
import type { ToolListing } from '../tools/listing.js';

declare const __TOOL_LISTINGS__: string | undefined;

export function prebuiltListing(readOnly: boolean): ToolListing[] | undefined {
  if (typeof __TOOL_LISTINGS__ !== 'string') return undefined;
  const listings = JSON.parse(__TOOL_LISTINGS__) as { normal: ToolListing[]; readOnly: ToolListing[] };
  return readOnly ? listings.readOnly : listings.normal;
}
