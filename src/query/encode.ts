// Turns SQLite rows into a compact, JSON-safe result that fits a model's context: columns once, rows as
// arrays, caps on rows and bytes applied while iterating (a result is never materialised beyond the cap), and
// `truncated` set only when a cap actually cut something. 64-bit integers are read as BigInt and come back
// exact (as strings when beyond Number's safe range); blobs and long text are replaced by markers.
import { shortenText } from '../core/text.js';

export type Cell = string | number | null;

export interface ResultColumn {
  name: string;
  /** The declared type of the column the value comes from; null for expressions. */
  type: string | null;
}

export interface EncodedRows {
  columns: ResultColumn[];
  rows: Cell[][];
  /** Present (true) only when a cap cut the result. */
  truncated?: true;
  /** Which cap applied. */
  truncatedBy?: 'maxRows' | 'maxBytes';
}

export interface EncodeLimits {
  maxRows: number;
  /** Cap on the UTF-8 size of the JSON encoding of `rows`. */
  maxBytes: number;
  /** Text longer than this is shortened with a marker; 0 (or Infinity) keeps text whole. */
  maxCellChars: number;
}

export const DEFAULT_MAX_CELL_CHARS = 1000;

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);

export function encodeCell(value: unknown, maxCellChars: number): Cell {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint')
    return value <= MAX_SAFE && value >= MIN_SAFE ? Number(value) : value.toString();
  if (typeof value === 'number') {
    // SQLite can produce ±Inf (e.g. 1e999); JSON would silently turn it into null.
    return Number.isFinite(value) ? value : String(value);
  }
  if (typeof value === 'string') return shortenText(value, maxCellChars);
  if (Buffer.isBuffer(value)) return `<blob ${value.length} bytes>`;
  return String(value);
}

// A string JSON writes as its UTF-8 bytes between quotes unless it holds a quote, a backslash, a control character
// or a (possibly lone) surrogate; only those need the exact, slower measure.
const NEEDS_ESCAPE_OR_SURROGATE = /["\\\u0000-\u001f\ud800-\udfff]/;

/**
 * The UTF-8 size of JSON.stringify(row), without building the string: measuring every row by stringifying it
 * cost as much as reading it.
 */
export function jsonRowBytes(row: readonly Cell[]): number {
  let bytes = row.length > 1 ? row.length + 1 : 2; // brackets and commas
  for (const cell of row) {
    if (cell === null) bytes += 4;
    else if (typeof cell === 'number') bytes += JSON.stringify(cell).length;
    else if (NEEDS_ESCAPE_OR_SURROGATE.test(cell)) bytes += Buffer.byteLength(JSON.stringify(cell), 'utf8');
    else bytes += Buffer.byteLength(cell, 'utf8') + 2;
  }
  return bytes;
}

/**
 * Pulls rows from `iterator` until it ends or a cap applies, then closes it (which resets the statement, so
 * SQLite stops producing rows). Reading one row past maxRows is how "exactly maxRows" is told from "more".
 */
export function collectRows(
  columns: ResultColumn[],
  iterator: Iterator<unknown[]>,
  limits: EncodeLimits,
): EncodedRows {
  const rows: Cell[][] = [];
  let bytes = 2; // the enclosing []
  let truncatedBy: EncodedRows['truncatedBy'];
  try {
    for (;;) {
      const next = iterator.next();
      if (next.done) break;
      if (rows.length >= limits.maxRows) {
        truncatedBy = 'maxRows';
        break;
      }
      const row = next.value.map((value) => encodeCell(value, limits.maxCellChars));
      const size = jsonRowBytes(row) + (rows.length > 0 ? 1 : 0);
      if (bytes + size > limits.maxBytes) {
        truncatedBy = 'maxBytes';
        break;
      }
      bytes += size;
      rows.push(row);
    }
  } finally {
    iterator.return?.();
  }
  return truncatedBy ? { columns, rows, truncated: true, truncatedBy } : { columns, rows };
}
