// The result encoder the query host uses (src/query/encode.ts): caps applied while pulling rows.
import { describe, expect, it } from 'vitest';
import { shortenText } from '../../src/core/text.js';
import { collectRows, encodeCell, jsonRowBytes, type Cell } from '../../src/query/encode.js';

function* counting(total: number, pulled: { n: number; closed: boolean }): Generator<unknown[]> {
  try {
    for (let i = 0; i < total; i += 1) {
      pulled.n += 1;
      yield [i];
    }
  } finally {
    pulled.closed = true;
  }
}

describe('collectRows', () => {
  it('pulls one row past the cap and no more, then closes the iterator', () => {
    const pulled = { n: 0, closed: false };
    const result = collectRows([{ name: 'n', type: null }], counting(1_000_000, pulled), {
      maxRows: 10,
      maxBytes: 1e6,
      maxCellChars: 0,
    });
    expect(result.rows).toHaveLength(10);
    expect(result).toMatchObject({ truncated: true, truncatedBy: 'maxRows' });
    expect(pulled).toEqual({ n: 11, closed: true });
  });

  it('keeps the JSON of the rows within maxBytes', () => {
    const pulled = { n: 0, closed: false };
    const result = collectRows([{ name: 'n', type: null }], counting(1000, pulled), {
      maxRows: 1000,
      maxBytes: 50,
      maxCellChars: 0,
    });
    expect(Buffer.byteLength(JSON.stringify(result.rows))).toBeLessThanOrEqual(50);
    expect(result.truncatedBy).toBe('maxBytes');
  });
});

describe('encodeCell', () => {
  it('keeps safe integers as numbers and the rest as exact strings', () => {
    expect(encodeCell(42n, 0)).toBe(42);
    expect(encodeCell(9007199254740993n, 0)).toBe('9007199254740993');
    expect(encodeCell(-9007199254740993n, 0)).toBe('-9007199254740993');
  });

  it('never splits a surrogate pair when shortening', () => {
    const text = `${'a'.repeat(4)}😀${'b'.repeat(10)}`;
    expect(shortenText(text, 5)).toBe(`aaaa…[+${text.length - 4} chars]`);
  });
});

describe('jsonRowBytes', () => {
  it('is the UTF-8 size of the row as JSON, for every kind of cell', () => {
    const cells: Cell[] = [
      null,
      0,
      -0,
      42,
      -7.25,
      1e21,
      5e-324,
      Number.MAX_SAFE_INTEGER,
      '',
      'plain ascii',
      'quote " and backslash \\',
      'new\nline\ttab\u0000nul\u001f',
      'ünïcödé €',
      '😀 pair',
      'lone \ud800 high',
      'lone \udc00 low',
      '\u2028\u2029',
      '9007199254740993',
      '<blob 3 bytes>',
    ];
    const rows: Cell[][] = [[], ...cells.map((cell) => [cell])];
    for (let i = 0; i < 200; i += 1) rows.push(cells.filter((_, j) => (i * 7 + j * 3) % 5 < 2 + (i % 3)));
    for (const row of rows)
      expect(jsonRowBytes(row), JSON.stringify(row)).toBe(Buffer.byteLength(JSON.stringify(row), 'utf8'));
  });
});
