// The guard's case table, shared by the pure classification test (test/unit/guard-policy.test.ts) and the
// end-to-end run through the query host (test/integration/query-guard.test.ts).
// `guard`: what the pure classifier says (the verb, or the refusal code).
// `run`: what the query host answers for the same call ('ok' or an error code); defaults to `guard`'s code,
// or 'ok' when the guard allows. Writes that the guard allows run as dry runs unless `dryRun: false`.
import type { ErrorCode } from '../../src/errors.js';

export type CaseMode = 'read' | 'write';

export interface GuardCase {
  name: string;
  mode: CaseMode;
  /** SQL; `{dir}` is replaced by the fixture's directory. */
  sql: string;
  params?: unknown;
  guard: string | { refused: ErrorCode; match?: RegExp };
  run?: 'ok' | ErrorCode;
  /** For writes: run for real (expected to be refused by the budget) instead of as a dry run. */
  dryRun?: boolean;
}

const HUGE = 100_001;

export const GUARD_CASES: GuardCase[] = [
  // --- reads the guard allows ---
  { name: 'a plain SELECT', mode: 'read', sql: 'SELECT 1', guard: 'SELECT' },
  { name: 'lower-case keywords', mode: 'read', sql: 'select id, email from users', guard: 'SELECT' },
  { name: 'leading comments of both kinds', mode: 'read', sql: '-- why\n/* note */ SELECT id FROM users;', guard: 'SELECT' },
  { name: 'trailing semicolons and a comment', mode: 'read', sql: 'SELECT 1;;;  -- done', guard: 'SELECT' },
  { name: 'a CTE feeding a SELECT', mode: 'read', sql: 'WITH x AS (SELECT 1 AS v) SELECT v FROM x', guard: 'WITH' },
  {
    name: 'a bounded recursive CTE',
    mode: 'read',
    sql: 'WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 5) SELECT n FROM c',
    guard: 'WITH',
  },
  { name: 'a CTE named replace (a fallback keyword)', mode: 'read', sql: 'WITH replace AS (SELECT 1 AS v) SELECT v FROM replace', guard: 'WITH' },
  { name: 'a MATERIALIZED CTE with a column list', mode: 'read', sql: 'WITH x(a, b) AS MATERIALIZED (SELECT 1, 2) SELECT a, b FROM x', guard: 'WITH' },
  { name: 'VALUES', mode: 'read', sql: "VALUES (1, 'a'), (2, 'b')", guard: 'VALUES' },
  { name: 'EXPLAIN QUERY PLAN of a SELECT', mode: 'read', sql: 'EXPLAIN QUERY PLAN SELECT * FROM users WHERE email = ?', params: ['x'], guard: 'EXPLAIN' },
  { name: 'EXPLAIN of a SELECT', mode: 'read', sql: 'EXPLAIN SELECT 1', guard: 'EXPLAIN' },
  { name: 'statements inside a string literal', mode: 'read', sql: "SELECT 'x''; DELETE FROM users; DROP TABLE users; --' AS s", guard: 'SELECT' },
  { name: 'all four quoting styles', mode: 'read', sql: 'SELECT "id", [email], `username` FROM "users"', guard: 'SELECT' },
  { name: 'a side-effect-free pragma function', mode: 'read', sql: "SELECT name FROM pragma_table_info('users')", guard: 'SELECT' },
  {
    name: 'SQL in a bound parameter stays a value',
    mode: 'read',
    sql: 'SELECT * FROM users WHERE id = :id',
    params: { id: "x'; DROP TABLE users; --" },
    guard: 'SELECT',
  },
  { name: 'a blob literal', mode: 'read', sql: "SELECT x'DEADBEEF' AS b", guard: 'SELECT' },
  { name: 'reading the audit table', mode: 'read', sql: 'SELECT count(*) FROM audit_log', guard: 'SELECT' },
  { name: 'a stacked statement hidden in a line comment', mode: 'read', sql: 'SELECT 1 -- ; DELETE FROM users', guard: 'SELECT' },
  { name: 'a stacked statement hidden in a block comment', mode: 'read', sql: 'SELECT 1 /* ; DROP TABLE users; */', guard: 'SELECT' },
  {
    name: 'load_extension is refused by SQLite itself',
    mode: 'read',
    sql: "SELECT load_extension('{dir}/evil.so')",
    guard: 'SELECT',
    run: 'DATABASE_ERROR',
  },
  { name: 'a parse error is reported by SQLite', mode: 'read', sql: 'SELECT * FROM users WHERE', guard: 'SELECT', run: 'SQL_SYNTAX' },
  { name: 'an expression nested 5000 deep', mode: 'read', sql: `SELECT ${'('.repeat(5000)}1${')'.repeat(5000)}`, guard: 'SELECT', run: 'DATABASE_ERROR' },
  { name: 'a parameter that is an object', mode: 'read', sql: 'SELECT * FROM users WHERE id = ?', params: [{ evil: 1 }], guard: 'SELECT', run: 'INVALID_ARGUMENT' },
  { name: 'a parameter that is an array', mode: 'read', sql: 'SELECT ?, ?', params: [1, [2]], guard: 'SELECT', run: 'INVALID_ARGUMENT' },
  { name: 'a missing named parameter', mode: 'read', sql: 'SELECT :a', params: { b: 1 }, guard: 'SELECT', run: 'INVALID_ARGUMENT' },

  // --- reads the guard refuses ---
  { name: 'empty input', mode: 'read', sql: '', guard: { refused: 'QUERY_REFUSED', match: /empty/ } },
  { name: 'only a comment', mode: 'read', sql: '  -- nothing here', guard: { refused: 'QUERY_REFUSED', match: /empty/ } },
  { name: 'only semicolons', mode: 'read', sql: ';;', guard: { refused: 'QUERY_REFUSED', match: /empty/ } },
  { name: 'two SELECTs', mode: 'read', sql: 'SELECT 1; SELECT 2', guard: { refused: 'QUERY_REFUSED', match: /2 statements/ } },
  { name: 'a stacked DROP', mode: 'read', sql: 'SELECT 1; DROP TABLE users', guard: { refused: 'QUERY_REFUSED', match: /2 statements/ } },
  { name: 'a stacked DELETE on the next line', mode: 'read', sql: 'SELECT 1;\nDELETE FROM users', guard: { refused: 'QUERY_REFUSED', match: /2 statements/ } },
  {
    name: 'a doubled quote that does not end the string',
    mode: 'read',
    sql: "SELECT 'a'';DELETE FROM users;--'; DELETE FROM users",
    guard: { refused: 'QUERY_REFUSED', match: /2 statements/ },
  },
  { name: 'a semicolon inside a [bracketed] name', mode: 'read', sql: 'SELECT [a;b] FROM users; DELETE FROM users', guard: { refused: 'QUERY_REFUSED', match: /2 statements/ } },
  { name: 'a line comment ends only at LF, not CR', mode: 'read', sql: 'SELECT 1 --\r; DELETE FROM users\n; DELETE FROM users', guard: { refused: 'QUERY_REFUSED', match: /2 statements/ } },
  { name: 'an unterminated block comment', mode: 'read', sql: 'SELECT 1 /* open', guard: { refused: 'QUERY_REFUSED', match: /unterminated/ } },
  { name: 'an unterminated string', mode: 'read', sql: "SELECT 'open", guard: { refused: 'QUERY_REFUSED', match: /unterminated/ } },
  { name: 'a NUL byte before a stacked statement', mode: 'read', sql: 'SELECT 1\u0000; DELETE FROM users', guard: { refused: 'QUERY_REFUSED', match: /NUL/ } },
  { name: 'a NUL byte that would cut off a WHERE', mode: 'write', sql: "DELETE FROM users\u0000 WHERE id = 'u1'", guard: { refused: 'QUERY_REFUSED', match: /control character/ } },
  { name: 'a form feed', mode: 'read', sql: 'SELECT\f1', guard: { refused: 'QUERY_REFUSED', match: /control character/ } },
  { name: 'a non-breaking space does not split keywords', mode: 'read', sql: 'SELECT\u00a01', guard: { refused: 'QUERY_REFUSED' } },
  { name: 'a DELETE sent to run_query', mode: 'read', sql: "DELETE FROM users WHERE id = 'u1'", guard: { refused: 'QUERY_REFUSED', match: /execute_sql/ } },
  { name: 'a DELETE wrapped in a CTE', mode: 'read', sql: 'WITH x AS (SELECT 1) DELETE FROM users', guard: { refused: 'QUERY_REFUSED', match: /WITH clause/ } },
  {
    name: 'an INSERT wrapped in a recursive CTE',
    mode: 'read',
    sql: "WITH RECURSIVE x(n) AS (SELECT 1) INSERT INTO users (id, email, username) VALUES ('z', 'z', 'z')",
    guard: { refused: 'QUERY_REFUSED', match: /INSERT/ },
  },
  { name: 'EXPLAIN of a DELETE', mode: 'read', sql: 'EXPLAIN DELETE FROM users', guard: { refused: 'QUERY_REFUSED', match: /DELETE/ } },
  { name: 'ATTACH creating a file', mode: 'read', sql: "ATTACH DATABASE '{dir}/evil.db' AS evil", guard: { refused: 'QUERY_REFUSED', match: /ATTACH/ } },
  { name: 'attach in lower case after a comment', mode: 'read', sql: "/**/attach '{dir}/evil2.db' as e", guard: { refused: 'QUERY_REFUSED', match: /ATTACH/ } },
  { name: 'DETACH', mode: 'read', sql: 'DETACH DATABASE main', guard: { refused: 'QUERY_REFUSED', match: /DETACH/ } },
  { name: 'VACUUM', mode: 'read', sql: 'VACUUM', guard: { refused: 'QUERY_REFUSED', match: /VACUUM/ } },
  { name: 'VACUUM INTO another file', mode: 'read', sql: "VACUUM INTO '{dir}/copy.db'", guard: { refused: 'QUERY_REFUSED', match: /VACUUM/ } },
  { name: 'EXPLAIN VACUUM INTO', mode: 'read', sql: "EXPLAIN VACUUM INTO '{dir}/copy2.db'", guard: { refused: 'QUERY_REFUSED', match: /VACUUM/ } },
  { name: 'PRAGMA query_only = OFF', mode: 'read', sql: 'PRAGMA query_only = OFF', guard: { refused: 'QUERY_REFUSED', match: /PRAGMA/ } },
  { name: 'PRAGMA query_only=0 without spaces', mode: 'read', sql: 'PRAGMA query_only=0', guard: { refused: 'QUERY_REFUSED', match: /PRAGMA/ } },
  { name: 'a schema-qualified journal_mode pragma', mode: 'read', sql: 'pragma main.journal_mode = WAL', guard: { refused: 'QUERY_REFUSED', match: /PRAGMA/ } },
  { name: 'PRAGMA foreign_keys = OFF', mode: 'read', sql: 'PRAGMA foreign_keys = OFF', guard: { refused: 'QUERY_REFUSED', match: /PRAGMA/ } },
  { name: 'PRAGMA writable_schema', mode: 'read', sql: 'PRAGMA writable_schema = 1', guard: { refused: 'QUERY_REFUSED', match: /PRAGMA/ } },
  { name: 'PRAGMA locking_mode = EXCLUSIVE', mode: 'read', sql: 'PRAGMA locking_mode = EXCLUSIVE', guard: { refused: 'QUERY_REFUSED', match: /PRAGMA/ } },
  { name: 'PRAGMA busy_timeout', mode: 'read', sql: 'PRAGMA busy_timeout = 0', guard: { refused: 'QUERY_REFUSED', match: /PRAGMA/ } },
  { name: 'PRAGMA max_page_count', mode: 'read', sql: 'PRAGMA max_page_count = 1', guard: { refused: 'QUERY_REFUSED', match: /PRAGMA/ } },
  { name: 'PRAGMA mmap_size', mode: 'read', sql: 'PRAGMA mmap_size = 268435456', guard: { refused: 'QUERY_REFUSED', match: /PRAGMA/ } },
  { name: 'PRAGMA hard_heap_limit', mode: 'read', sql: 'PRAGMA hard_heap_limit = 1', guard: { refused: 'QUERY_REFUSED', match: /PRAGMA/ } },
  { name: 'a read-looking PRAGMA call', mode: 'read', sql: 'PRAGMA table_info(users)', guard: { refused: 'QUERY_REFUSED', match: /pragma_table_info/ } },
  { name: 'EXPLAIN PRAGMA (prepare alone would apply it)', mode: 'read', sql: 'EXPLAIN PRAGMA query_only = 0', guard: { refused: 'QUERY_REFUSED', match: /PRAGMA/ } },
  { name: 'EXPLAIN QUERY PLAN PRAGMA', mode: 'read', sql: 'EXPLAIN QUERY PLAN PRAGMA foreign_keys=OFF', guard: { refused: 'QUERY_REFUSED', match: /PRAGMA/ } },
  { name: 'a PRAGMA behind a block comment', mode: 'read', sql: '/* SELECT */ PRAGMA query_only=OFF', guard: { refused: 'QUERY_REFUSED', match: /PRAGMA/ } },
  { name: 'BEGIN', mode: 'read', sql: 'BEGIN', guard: { refused: 'QUERY_REFUSED', match: /Transaction control/ } },
  { name: 'BEGIN EXCLUSIVE (a lock that outlives the call)', mode: 'read', sql: 'BEGIN EXCLUSIVE', guard: { refused: 'QUERY_REFUSED', match: /Transaction control/ } },
  { name: 'COMMIT', mode: 'read', sql: 'COMMIT', guard: { refused: 'QUERY_REFUSED', match: /Transaction control/ } },
  { name: 'END', mode: 'read', sql: 'END TRANSACTION', guard: { refused: 'QUERY_REFUSED', match: /Transaction control/ } },
  { name: 'ROLLBACK', mode: 'read', sql: 'ROLLBACK', guard: { refused: 'QUERY_REFUSED', match: /Transaction control/ } },
  { name: 'SAVEPOINT', mode: 'read', sql: 'SAVEPOINT s1', guard: { refused: 'QUERY_REFUSED', match: /Transaction control/ } },
  { name: 'RELEASE', mode: 'read', sql: 'RELEASE s1', guard: { refused: 'QUERY_REFUSED', match: /Transaction control/ } },
  { name: 'BEGIN before a read', mode: 'read', sql: 'BEGIN; SELECT 1', guard: { refused: 'QUERY_REFUSED', match: /Transaction control/ } },
  { name: 'a TEMP VIEW shadowing a table', mode: 'read', sql: 'CREATE TEMP VIEW users AS SELECT 1', guard: { refused: 'QUERY_REFUSED', match: /migrations/ } },
  { name: 'a TEMP TABLE disk bomb', mode: 'read', sql: 'CREATE TEMP TABLE bomb AS SELECT 1', guard: { refused: 'QUERY_REFUSED', match: /migrations/ } },
  { name: 'REINDEX', mode: 'read', sql: 'REINDEX', guard: { refused: 'QUERY_REFUSED', match: /REINDEX/ } },
  { name: 'ANALYZE', mode: 'read', sql: 'ANALYZE', guard: { refused: 'QUERY_REFUSED', match: /ANALYZE/ } },
  { name: 'a statement in parentheses', mode: 'read', sql: '(SELECT 1)', guard: { refused: 'QUERY_REFUSED' } },
  { name: 'a stray parameter prefix', mode: 'read', sql: 'SELECT $', guard: { refused: 'QUERY_REFUSED', match: /stray/ } },
  { name: 'input over the length limit', mode: 'read', sql: `SELECT 1${' '.repeat(HUGE)}`, guard: { refused: 'QUERY_REFUSED', match: /limit is/ } },
  { name: 'a huge number of stacked statements', mode: 'read', sql: 'SELECT 1;'.repeat(5000), guard: { refused: 'QUERY_REFUSED', match: /5000 statements/ } },

  // --- writes the guard allows (run as dry runs) ---
  { name: 'an INSERT', mode: 'write', sql: "INSERT INTO users (id, email, username) VALUES ('u9', 'u9@example.com', 'nine')", guard: 'INSERT' },
  { name: 'INSERT OR REPLACE with VALUES', mode: 'write', sql: "insert or replace into users (id, email, username) values ('u1', 'a@example.com', 'a')", guard: 'INSERT' },
  { name: 'REPLACE INTO with VALUES', mode: 'write', sql: "REPLACE INTO users (id, email, username) VALUES ('u1', 'a@example.com', 'a')", guard: 'REPLACE' },
  {
    name: 'an upsert',
    mode: 'write',
    sql: "INSERT INTO users (id, email, username) VALUES ('u1', 'u1@example.com', 'n') ON CONFLICT (id) DO UPDATE SET username = excluded.username",
    guard: 'INSERT',
  },
  { name: 'ON CONFLICT DO NOTHING', mode: 'write', sql: "INSERT INTO users (id, email, username) VALUES ('u1', 'e', 'n') ON CONFLICT DO NOTHING", guard: 'INSERT' },
  { name: 'an UPDATE with RETURNING', mode: 'write', sql: "UPDATE users SET username = 'x' WHERE id = 'u1' RETURNING id, username", guard: 'UPDATE' },
  { name: 'a DELETE with RETURNING *', mode: 'write', sql: "DELETE FROM check_ins WHERE id = 'd1' RETURNING *", guard: 'DELETE' },
  {
    name: 'a DELETE driven by a CTE',
    mode: 'write',
    sql: "WITH ids AS (SELECT id FROM users WHERE id = 'u3') DELETE FROM users WHERE id IN (SELECT id FROM ids)",
    guard: 'DELETE',
  },
  { name: 'a write to main.<table>', mode: 'write', sql: "UPDATE main.users SET username = 'y' WHERE id = 'u2'", guard: 'UPDATE' },
  { name: 'a positional parameter', mode: 'write', sql: 'DELETE FROM "users" WHERE id = ?', params: ['u3'], guard: 'DELETE' },
  {
    name: 'SQL in a named parameter stays a value',
    mode: 'write',
    sql: 'UPDATE users SET username = :name WHERE id = :id',
    params: { name: "'); DROP TABLE users; --", id: 'u2' },
    guard: 'UPDATE',
  },
  { name: 'a blob parameter', mode: 'write', sql: 'INSERT INTO notes (body) VALUES (?)', params: [{ $blob: 'AAECAw==' }], guard: 'INSERT' },
  { name: 'a DELETE with LIMIT and no WHERE', mode: 'write', sql: 'DELETE FROM check_ins ORDER BY id LIMIT 5', guard: 'DELETE' },
  { name: 'a view whose trigger writes only app tables', mode: 'write', sql: "UPDATE user_emails SET email = 'q@example.com' WHERE id = 'u2'", guard: 'UPDATE' },

  // --- writes refused by the budget (run for real: nothing may change) ---
  { name: 'a DELETE without WHERE', mode: 'write', sql: 'DELETE FROM sessions', guard: 'DELETE', run: 'LIMIT_EXCEEDED', dryRun: false },
  { name: 'an UPDATE without WHERE', mode: 'write', sql: 'UPDATE users SET is_active = 0', guard: 'UPDATE', run: 'LIMIT_EXCEEDED', dryRun: false },
  { name: 'a DELETE over budget', mode: 'write', sql: 'DELETE FROM check_ins WHERE mood >= 0', guard: 'DELETE', run: 'LIMIT_EXCEEDED', dryRun: false },
  { name: 'a one-row DELETE whose cascade is over budget', mode: 'write', sql: "DELETE FROM users WHERE id = 'u1'", guard: 'DELETE', run: 'LIMIT_EXCEEDED', dryRun: false },
  { name: 'REPLACE fed by a SELECT', mode: 'write', sql: 'INSERT OR REPLACE INTO users SELECT * FROM users', guard: 'INSERT', run: 'LIMIT_EXCEEDED', dryRun: false },
  { name: 'UPDATE OR REPLACE', mode: 'write', sql: "UPDATE OR REPLACE users SET email = 'u2@example.com' WHERE id = 'u1'", guard: 'UPDATE', run: 'LIMIT_EXCEEDED', dryRun: false },

  // --- writes to protected tables ---
  {
    name: 'an INSERT into the audit log',
    mode: 'write',
    sql: "INSERT INTO audit_log (created_at, tool, outcome, duration_ms, prev_hash, hash) VALUES ('x', 't', 'ok', 0, '', '')",
    guard: { refused: 'PROTECTED_TABLE' },
  },
  { name: 'a DELETE from the audit log', mode: 'write', sql: 'DELETE FROM audit_log WHERE id = 1', guard: { refused: 'PROTECTED_TABLE' } },
  { name: 'an upper-case quoted audit table', mode: 'write', sql: `UPDATE "AUDIT_LOG" SET tool = 'x' WHERE id = 1`, guard: { refused: 'PROTECTED_TABLE' } },
  { name: 'a bracketed, schema-qualified audit table', mode: 'write', sql: 'DELETE FROM main.[audit_log] WHERE 1', guard: { refused: 'PROTECTED_TABLE' } },
  { name: 'comments around the schema dot', mode: 'write', sql: 'DELETE FROM main/**/./**/`Audit_Log` WHERE 1', guard: { refused: 'PROTECTED_TABLE' } },
  { name: 'a CTE-wrapped DELETE from the audit log', mode: 'write', sql: 'WITH x AS (SELECT 1) DELETE FROM audit_log WHERE id IN (SELECT * FROM x)', guard: { refused: 'PROTECTED_TABLE' } },
  { name: 'REPLACE INTO the audit log', mode: 'write', sql: "REPLACE INTO audit_log (id, created_at, tool, outcome, duration_ms, prev_hash, hash) VALUES (1, 'x', 't', 'ok', 0, '', '')", guard: { refused: 'PROTECTED_TABLE' } },
  { name: 'the migrations ledger', mode: 'write', sql: "INSERT INTO __drizzle_migrations (hash, created_at) VALUES ('x', 1)", guard: { refused: 'PROTECTED_TABLE' } },
  { name: 'sqlite_master', mode: 'write', sql: "UPDATE sqlite_master SET sql = '' WHERE 1", guard: { refused: 'PROTECTED_TABLE' } },
  { name: 'sqlite_sequence', mode: 'write', sql: 'DELETE FROM sqlite_sequence WHERE 1', guard: { refused: 'PROTECTED_TABLE' } },
  { name: 'the temp schema', mode: 'write', sql: "INSERT INTO temp.users (id) VALUES ('x')", guard: { refused: 'QUERY_REFUSED', match: /main database/ } },
  { name: 'a table whose trigger writes the audit log', mode: 'write', sql: 'UPDATE tracked SET v = 1 WHERE id = 1', guard: 'UPDATE', run: 'PROTECTED_TABLE' },
  { name: 'a trigger chain that reaches the ledger', mode: 'write', sql: 'UPDATE sneaky SET v = 1 WHERE id = 1', guard: 'UPDATE', run: 'PROTECTED_TABLE' },
  { name: 'a view whose INSTEAD OF trigger deletes audit rows', mode: 'write', sql: "DELETE FROM active_users WHERE id = 'u1'", guard: 'DELETE', run: 'PROTECTED_TABLE' },
  { name: 'a foreign-key cascade into a protected table', mode: 'write', sql: 'DELETE FROM parent WHERE id = 1', guard: 'DELETE', run: 'PROTECTED_TABLE' },

  // --- other writes the guard refuses ---
  { name: 'CREATE TABLE', mode: 'write', sql: 'CREATE TABLE x (a)', guard: { refused: 'QUERY_REFUSED', match: /generate_migration/ } },
  { name: 'DROP TABLE', mode: 'write', sql: 'DROP TABLE users', guard: { refused: 'QUERY_REFUSED', match: /generate_migration/ } },
  { name: 'ALTER TABLE', mode: 'write', sql: 'ALTER TABLE users RENAME TO people', guard: { refused: 'QUERY_REFUSED', match: /generate_migration/ } },
  {
    name: 'CREATE TRIGGER (semicolons inside its body)',
    mode: 'write',
    sql: 'CREATE TRIGGER t AFTER INSERT ON users BEGIN DELETE FROM audit_log; END',
    guard: { refused: 'QUERY_REFUSED', match: /generate_migration/ },
  },
  { name: 'a transaction around a write', mode: 'write', sql: "BEGIN; DELETE FROM users WHERE id = 'u1'; COMMIT", guard: { refused: 'QUERY_REFUSED', match: /Transaction control/ } },
  { name: 'SAVEPOINT on the write path', mode: 'write', sql: 'SAVEPOINT a', guard: { refused: 'QUERY_REFUSED', match: /Transaction control/ } },
  { name: 'PRAGMA on the write path', mode: 'write', sql: 'PRAGMA foreign_keys = OFF', guard: { refused: 'QUERY_REFUSED', match: /PRAGMA/ } },
  { name: 'ATTACH on the write path', mode: 'write', sql: "ATTACH '{dir}/w.db' AS w", guard: { refused: 'QUERY_REFUSED', match: /ATTACH/ } },
  { name: 'VACUUM INTO on the write path', mode: 'write', sql: "VACUUM INTO '{dir}/w2.db'", guard: { refused: 'QUERY_REFUSED', match: /VACUUM/ } },
  { name: 'REINDEX on the write path', mode: 'write', sql: 'REINDEX users', guard: { refused: 'QUERY_REFUSED', match: /REINDEX/ } },
  { name: 'a SELECT sent to execute_sql', mode: 'write', sql: 'SELECT * FROM users', guard: { refused: 'QUERY_REFUSED', match: /run_query/ } },
  { name: 'EXPLAIN sent to execute_sql', mode: 'write', sql: 'EXPLAIN DELETE FROM users', guard: { refused: 'QUERY_REFUSED', match: /run_query/ } },
  { name: 'two DELETEs', mode: 'write', sql: "DELETE FROM users WHERE id = 'u1'; DELETE FROM users", guard: { refused: 'QUERY_REFUSED', match: /2 statements/ } },
  { name: 'an UPDATE with a stacked DROP', mode: 'write', sql: "UPDATE users SET username = 'a' WHERE id = 'u1'; DROP TABLE users", guard: { refused: 'QUERY_REFUSED', match: /2 statements/ } },
  { name: 'an unknown conflict clause', mode: 'write', sql: 'INSERT OR EXPLODE INTO users DEFAULT VALUES', guard: { refused: 'QUERY_REFUSED', match: /conflict clause/ } },
  { name: 'an object parameter on a write', mode: 'write', sql: 'INSERT INTO notes (body) VALUES (?)', params: [{ a: 1 }], guard: 'INSERT', run: 'INVALID_ARGUMENT' },
  { name: 'a write that does not parse', mode: 'write', sql: 'UPDATE users SET username = 1 WHERE', guard: 'UPDATE', run: 'SQL_SYNTAX' },
  {
    name: 'a duplicate primary key',
    mode: 'write',
    sql: "INSERT INTO users (id, email, username) VALUES ('u1', 'dup@example.com', 'd')",
    guard: 'INSERT',
    run: 'CONSTRAINT_VIOLATION',
  },
  {
    name: 'a foreign key to nobody',
    mode: 'write',
    sql: "INSERT INTO check_ins (id, user_id, mood, craving_level) VALUES ('cx', 'nobody', 1, 1)",
    guard: 'INSERT',
    run: 'CONSTRAINT_VIOLATION',
  },
  { name: 'an unknown table', mode: 'write', sql: 'DELETE FROM nope WHERE 1', guard: 'DELETE', run: 'DATABASE_ERROR' },
];

export function expectedRun(testCase: GuardCase): 'ok' | ErrorCode {
  if (testCase.run) return testCase.run;
  return typeof testCase.guard === 'string' ? 'ok' : testCase.guard.refused;
}
