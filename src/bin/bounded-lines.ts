// Security: what stands between stdin and the SDK's stdio transport. The transport buffers a message until its
// newline and, past 10 MiB, clears its buffer, closes itself and stops reading — leaving a live process that answers
// nothing. This filter forwards only whole lines of at most `maxLineBytes` (so the transport's limit is never
// reached) and drops a longer line as it streams by, without buffering it, telling the caller once per dropped
// line what its id was (when it can be read from the line's first or last bytes) so the request can be answered.
import { Transform, type TransformCallback } from 'node:stream';

/** The SDK's own limit is 10 MiB; lines up to this size reach it, longer ones are answered with an error. */
export const MAX_REQUEST_BYTES = 8 * 1024 * 1024;

/** How much of a dropped line's start and end is kept to find its id. */
const EDGE_BYTES = 4096;

export interface DroppedLine {
  /** The whole line's size in bytes (without the newline). */
  bytes: number;
  /** The JSON-RPC id, when it could be read; null otherwise (then the error goes out with id null). */
  id: string | number | null;
}

const ID_VALUE = String.raw`("(?:[^"\\]|\\.){0,200}"|-?\d{1,20})`;
/** `{"jsonrpc":"2.0","id":5,…` — an id near the start (most clients put it first or second). */
const ID_AT_START = new RegExp(String.raw`^\s*\{\s*(?:"jsonrpc"\s*:\s*"2\.0"\s*,\s*)?"id"\s*:\s*${ID_VALUE}`);
/** `…,"jsonrpc":"2.0","id":5}` — the TypeScript SDK's own order puts the id last. */
const ID_AT_END = new RegExp(String.raw`,\s*"id"\s*:\s*${ID_VALUE}\s*\}\s*$`);

function readId(head: string, tail: string): string | number | null {
  const match = ID_AT_START.exec(head) ?? ID_AT_END.exec(tail);
  if (!match?.[1]) return null;
  try {
    return JSON.parse(match[1]) as string | number;
  } catch {
    return null;
  }
}

export class BoundedLines extends Transform {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** While dropping an oversized line: its size so far, its first bytes and its latest bytes. */
  private dropping: { bytes: number; head: Buffer; tail: Buffer } | undefined;

  constructor(
    private readonly maxLineBytes: number,
    private readonly onDropped: (line: DroppedLine) => void,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    let start = 0;
    while (start < chunk.length) {
      const newline = chunk.indexOf(0x0a, start);
      const end = newline === -1 ? chunk.length : newline;
      this.append(chunk.subarray(start, end));
      if (newline === -1) break;
      this.endLine();
      start = newline + 1;
    }
    callback();
  }

  override _flush(callback: TransformCallback): void {
    // A last line without a newline is incomplete: the transport would never read it either.
    this.pending = [];
    this.dropping = undefined;
    callback();
  }

  private append(piece: Buffer): void {
    if (piece.length === 0) return;
    if (this.dropping) {
      this.dropping.bytes += piece.length;
      this.dropping.tail = keepLast(Buffer.concat([this.dropping.tail, piece]), EDGE_BYTES);
      return;
    }
    if (this.pendingBytes + piece.length <= this.maxLineBytes) {
      this.pending.push(piece);
      this.pendingBytes += piece.length;
      return;
    }
    const sofar = Buffer.concat([...this.pending, piece]);
    this.dropping = {
      bytes: sofar.length,
      head: Buffer.from(sofar.subarray(0, EDGE_BYTES)),
      tail: keepLast(sofar, EDGE_BYTES),
    };
    this.pending = [];
    this.pendingBytes = 0;
  }

  private endLine(): void {
    if (this.dropping) {
      const { bytes, head, tail } = this.dropping;
      this.dropping = undefined;
      this.onDropped({ bytes, id: readId(head.toString('utf8'), tail.toString('utf8')) });
      return;
    }
    this.pending.push(Buffer.from('\n'));
    this.push(Buffer.concat(this.pending));
    this.pending = [];
    this.pendingBytes = 0;
  }
}

function keepLast(buffer: Buffer, bytes: number): Buffer {
  return buffer.length <= bytes ? buffer : Buffer.from(buffer.subarray(buffer.length - bytes));
}

/** The JSON-RPC error line that answers a dropped request (-32600: invalid request). */
export function tooLargeResponse(line: DroppedLine, maxLineBytes: number): string {
  return `${JSON.stringify({
    jsonrpc: '2.0',
    id: line.id,
    error: {
      code: -32600,
      message: `The request is ${line.bytes} bytes; this server reads requests of at most ${maxLineBytes} bytes, so it was not read. Send smaller arguments (e.g. fewer rows per write_rows call).`,
    },
  })}\n`;
}
