// The stdin filter in front of the SDK transport (issue 11 class 10): whole lines up to the limit pass, a longer
// line is dropped as it streams (never buffered) and reported once with its id, and reading goes on.
import { describe, expect, it } from 'vitest';
import { BoundedLines, tooLargeResponse, type DroppedLine } from '../../src/bin/bounded-lines.js';

async function run(limit: number, chunks: string[]): Promise<{ lines: string[]; dropped: DroppedLine[] }> {
  const dropped: DroppedLine[] = [];
  const filter = new BoundedLines(limit, (line) => dropped.push(line));
  const out: Buffer[] = [];
  filter.on('data', (chunk: Buffer) => out.push(chunk));
  const done = new Promise((resolve) => filter.on('end', resolve));
  for (const chunk of chunks) filter.write(Buffer.from(chunk));
  filter.end();
  await done;
  const text = Buffer.concat(out).toString('utf8');
  return { lines: text.split('\n').slice(0, -1), dropped };
}

const req = (id: unknown, pad = 0) =>
  JSON.stringify({ jsonrpc: '2.0', id, method: 'ping', params: { pad: 'x'.repeat(pad) } });
const sdkOrder = (id: unknown, pad = 0) =>
  JSON.stringify({ method: 'ping', params: { pad: 'x'.repeat(pad) }, jsonrpc: '2.0', id });

interface Case {
  name: string;
  limit: number;
  chunks: string[];
  lines: string[];
  dropped: DroppedLine[];
}

const small = req(1);
const CASES: Case[] = [
  {
    name: 'passes whole lines through',
    limit: 100,
    chunks: [`${small}\n${req(2)}\n`],
    lines: [small, req(2)],
    dropped: [],
  },
  {
    name: 'joins a line split across many chunks',
    limit: 100,
    chunks: [...small].map((c) => c).concat('\n'),
    lines: [small],
    dropped: [],
  },
  {
    name: 'keeps a line of exactly the limit',
    limit: small.length,
    chunks: [`${small}\n`],
    lines: [small],
    dropped: [],
  },
  {
    name: 'drops a line one byte over the limit, reading its id at the start',
    limit: small.length - 1,
    chunks: [`${small}\n`],
    lines: [],
    dropped: [{ bytes: small.length, id: 1 }],
  },
  {
    name: 'reads the id at the end in the TypeScript SDK’s own order',
    limit: 1000,
    chunks: [`${sdkOrder(77, 5000)}\n`],
    lines: [],
    dropped: [{ bytes: sdkOrder(77, 5000).length, id: 77 }],
  },
  {
    name: 'reads a string id',
    limit: 1000,
    chunks: [`${req('abc-1', 5000)}\n`],
    lines: [],
    dropped: [{ bytes: req('abc-1', 5000).length, id: 'abc-1' }],
  },
  {
    name: 'answers with id null when no id can be read',
    limit: 10,
    chunks: [`${'y'.repeat(50)}\n`],
    lines: [],
    dropped: [{ bytes: 50, id: null }],
  },
  {
    name: 'goes on reading after a dropped line in the middle of a chunk',
    limit: 200,
    chunks: [`${req(1)}\n${req(2, 300)}\n${req(3)}\n`],
    lines: [req(1), req(3)],
    dropped: [{ bytes: req(2, 300).length, id: 2 }],
  },
  {
    name: 'drops a line that arrives in many chunks without buffering it',
    limit: 100,
    chunks: [req(9, 0).slice(0, 25), 'x'.repeat(500), 'x'.repeat(500), `"}}\n${small}\n`],
    lines: [small],
    dropped: [{ bytes: 25 + 1000 + 3, id: 9 }],
  },
  {
    name: 'does not take an id from inside the arguments',
    limit: 50,
    chunks: [`{"method":"tools/call","params":{"arguments":{"id":5,"x":"${'z'.repeat(100)}"}}}\n`],
    lines: [],
    dropped: [{ bytes: 162, id: null }],
  },
  { name: 'ignores an unterminated last line', limit: 100, chunks: [small], lines: [], dropped: [] },
];

describe('BoundedLines', () => {
  for (const kase of CASES) {
    it(kase.name, async () => {
      expect(await run(kase.limit, kase.chunks)).toEqual({ lines: kase.lines, dropped: kase.dropped });
    });
  }

  it('answers a dropped request with a JSON-RPC invalid-request error carrying its id', () => {
    const line = JSON.parse(tooLargeResponse({ bytes: 12_000_000, id: 7 }, 8_388_608)) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(line).toMatchObject({ jsonrpc: '2.0', id: 7, error: { code: -32600 } });
    expect(line.error.message).toContain('12000000 bytes');
  });
});
