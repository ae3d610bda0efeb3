// Child process for the write kill -9 test: runs one audited write exactly as the query host does (the same
// QueryExecutor.handle the host calls for each IPC message), on <dbFile>. Prints READY right before the write
// and DONE after it answered.
import { QueryExecutor } from '../../src/query/executor.js';

const [dbFile, sql] = process.argv.slice(2) as [string, string];
const executor = new QueryExecutor({
  dbFile,
  busyTimeoutMs: 5_000,
  protectedTables: ['audit_log', '__drizzle_migrations'],
});
const startedAtMs = Date.now();
process.stdout.write('READY\n');
const response = executor.handle({
  id: 1,
  kind: 'write',
  request: {
    sql,
    budget: 100,
    allowOverBudget: true,
    dryRun: false,
    audit: {
      table: 'audit_log',
      entry: { createdAt: new Date().toISOString(), tool: 'execute_sql', client: 'kill-test/1.0' },
      startedAtMs,
    },
  },
});
process.stdout.write(`${JSON.stringify(response)}\nDONE\n`);
executor.close();
