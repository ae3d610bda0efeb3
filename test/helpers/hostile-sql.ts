// SQL a hostile model sends to freeze the server, shared by the unit tests of the in-process gate and the
// integration tests through a real client (issue 11 class 10).

/** WITH c0 AS (…), c1 AS (SELECT … FROM c0 a, c0 b), …: each level doubles what SQLite expands while preparing. */
export function doublingCte(levels: number): string {
  let sql = 'WITH c0 AS (SELECT 1 AS x)';
  for (let i = 1; i <= levels; i++) sql += `, c${i} AS (SELECT a.x FROM c${i - 1} a, c${i - 1} b)`;
  return `${sql} SELECT x FROM c${levels} LIMIT 1`;
}
