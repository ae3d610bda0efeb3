// drizzle-kit's programmatic API, imported on first use and then held: it is large, only the kit worker needs it, and
// even a cached dynamic import re-runs module resolution (and any loader hooks) on every call.
import type * as KitApi from 'drizzle-kit/api';

let kitApi: Promise<typeof KitApi> | undefined;

export function loadKitApi(): Promise<typeof KitApi> {
  kitApi ??= import('drizzle-kit/api');
  return kitApi;
}
