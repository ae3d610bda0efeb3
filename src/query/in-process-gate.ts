// What a read must satisfy to run in the server process rather than the killable query host, besides a bounded
// program (bounded-program.ts). Nothing running in this process can be interrupted, so two more costs are bounded
// before anything of the statement runs here:
// - preparing it: SQLite expands CTEs and views while it prepares, and a 500-character WITH chain (or a view chain
//   a migration created) that doubles at each level takes seconds to minutes to prepare. Only short, shallow
//   statements that use no WITH and name no view are prepared here;
// - the memory its values take: a bounded program reads few rows, but one cell may hold hundreds of megabytes
//   (zeroblob() makes one cheaply). The values it may load are bounded by (value loads in the program) × (database
//   size); when that is over the budget, SQLite is asked for the loaded cells' sizes without loading them
//   (octet_length() reads only the record header) and the read stays here only when they fit.
// Pure except `cellBytes`, which reads the connection it is given (inside the caller's read transaction).
import type { Database } from 'better-sqlite3';
import { asciiLower, tokenize } from '../sql/tokenizer.js';

/** The most value bytes a read may load in this process (the host takes anything bigger). */
export const IN_PROCESS_VALUE_BUDGET_BYTES = 32 * 1024 * 1024;

const MAX_TOKENS = 256;
const MAX_DEPTH = 6;

/**
 * Whether preparing `sql` is known to be cheap: no WITH (CTE expansion), no name of a view (view expansion), at
 * most MAX_TOKENS tokens and MAX_DEPTH nested parentheses. `views`: lower-cased view names of the database.
 */
export function preparesCheaply(sql: string, views: ReadonlySet<string>): boolean {
  let tokens;
  try {
    tokens = tokenize(sql);
  } catch {
    return false;
  }
  if (tokens.length > MAX_TOKENS) return false;
  let depth = 0;
  for (const token of tokens) {
    if (token.kind === 'lparen' && ++depth > MAX_DEPTH) return false;
    if (token.kind === 'rparen') depth -= 1;
    if (token.kind === 'word' && token.value === 'WITH') return false;
    if (
      (token.kind === 'word' || token.kind === 'quoted') &&
      views.has(asciiLower(token.kind === 'word' ? token.text : token.value))
    )
      return false;
  }
  return true;
}

/** EXPLAIN rows in raw form: [addr, opcode, p1, p2, p3, p4, p5, comment]. */
type Program = readonly unknown[][];

/** SQLite's OPFLAG_BYTELENARG on a Column opcode: only the value's size is needed, its content is not loaded. */
const BYTE_LENGTH_ONLY = 0xc0;

/** How many column values the program loads in full (a Column opcode that needs more than the value's size). */
function columnLoads(program: Program): number {
  return program.filter((op) => op[1] === 'Column' && (Number(op[6]) & BYTE_LENGTH_ONLY) !== BYTE_LENGTH_ONLY)
    .length;
}

/** How many values the program may hold in full: each column it loads, and each deep copy of a value. */
export function valueLoads(program: Program): number {
  return columnLoads(program) + program.filter((op) => op[1] === 'Copy').length;
}

/**
 * The total size of the values `sql` returns, asked of SQLite without loading them, or undefined when that cannot
 * be done without loading some (a value the statement compares, or a query SQLite does not flatten). Runs inside
 * the caller's read transaction, so the sizes are those of the snapshot the read will see.
 */
export function resultBytes(
  db: Database,
  sql: string,
  program: Program,
  args: readonly unknown[],
): number | undefined {
  // ResultRow's p2 is the number of result columns (a bounded program's rows all have the same width).
  const columns = Number(program.find((op) => op[1] === 'ResultRow')?.[3] ?? 0);
  if (columns === 0) return 0;
  try {
    const names = Array.from({ length: columns }, (_, i) => `c${i}`);
    const probe = `WITH q(${names.join(', ')}) AS (${sql}) SELECT ${names.map((n) => `coalesce(octet_length(${n}), 0)`).join(' + ')} FROM q`;
    const program = db
      .prepare(`EXPLAIN ${probe}`)
      .raw(true)
      .all(...args) as unknown[][];
    if (columnLoads(program) > 0) return undefined;
    const sizes = db
      .prepare(probe)
      .pluck()
      .all(...args) as number[];
    return sizes.reduce((sum, size) => sum + Number(size), 0);
  } catch {
    return undefined;
  }
}
