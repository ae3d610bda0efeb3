import { defineConfig } from 'vitest/config';

// Three tiers on real SQLite (npm test runs them all; `vitest run --project <name>` runs one):
// - unit: pure functions and the domain and app procedures on real SQLite files in-process — no MCP server, no
//   worker thread or child process. `npm run test:unit`, the tier to run every minute.
// - integration: each tool through a real MCP Client in-process, the kit worker and the query host, and the
//   kill -9 tests that run the domain in child processes.
// - e2e: the built server (dist/) spawned over stdio, the CLI, the packed tarball, the Inspector.
// - browser: the views people look at, in Debian's Chromium (the App views in an MCP Apps test host, the review
//   page), against the real server in-process; screenshots go to test-artifacts/screenshots/.
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    projects: [
      // Threads start faster than forks, and nothing in this tier needs a process of its own.
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'], pool: 'threads' } },
      { extends: true, test: { name: 'integration', include: ['test/integration/**/*.test.ts'] } },
      { extends: true, test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'] } },
      { extends: true, test: { name: 'browser', include: ['test/browser/**/*.test.ts'] } },
    ],
  },
});
