// Minimal text edits at AST positions. Invariant: every byte outside an edit's range is the input's byte; list
// edits follow the list's own layout (one line per item or all on one line, trailing comma or not) and keep a
// comment that follows an item on the item's line.
import { skipTrivia, type Pos } from './source.js';

export interface Splice {
  start: number;
  end: number;
  text: string;
}

export function applySplices(text: string, splices: Splice[]): string {
  // From the end backwards; insertions at one point keep their given order (the later one is applied first).
  const ordered = splices
    .map((splice, index) => ({ ...splice, index }))
    .sort((a, b) => b.start - a.start || b.end - a.end || b.index - a.index);
  let out = text;
  let limit = Infinity;
  for (const s of ordered) {
    if (s.end > limit) throw new Error('overlapping splices');
    out = out.slice(0, s.start) + s.text + out.slice(s.end);
    limit = s.start;
  }
  return out;
}

export function lineStart(text: string, at: number): number {
  return text.lastIndexOf('\n', at - 1) + 1;
}

export function indentAt(text: string, at: number): string {
  const start = lineStart(text, at);
  return /^[ \t]*/.exec(text.slice(start))![0];
}

/** End of the line `at` is on (the offset of its newline, or the text's end). */
function lineEnd(text: string, at: number): number {
  const nl = text.indexOf('\n', at);
  return nl === -1 ? text.length : nl;
}

/** The comma that follows `end` (skipping whitespace and comments), or -1. */
function commaAfter(text: string, end: number): number {
  const at = skipTrivia(text, end);
  return text[at] === ',' ? at : -1;
}

/** Whether a list's items sit on their own lines (there is a newline before the first item). */
export function isMultiline(text: string, container: Pos, items: Pos[]): boolean {
  const first = items[0];
  return text.slice(container.start, first ? first.start : container.end).includes('\n');
}

/**
 * Appends `item` to a list (object properties, array elements, import specifiers) whose brackets are `container`.
 * `itemIndent` is used for an empty multi-line list; otherwise the last item's indentation is copied.
 */
export function appendToList(
  text: string,
  container: Pos,
  items: Pos[],
  item: string,
  trailingCommas: boolean,
): Splice[] {
  const last = items.at(-1);
  if (!last) {
    const inner = text.slice(container.start + 1, container.end - 1);
    if (inner.trim() === '') return [{ start: container.start + 1, end: container.end - 1, text: item }];
    return [{ start: container.end - 1, end: container.end - 1, text: item }];
  }
  const comma = commaAfter(text, last.end);
  if (!isMultiline(text, container, items)) {
    if (comma >= 0) return [{ start: comma + 1, end: comma + 1, text: ` ${item},` }];
    return [{ start: last.end, end: last.end, text: `, ${item}` }];
  }
  const indent = indentAt(text, last.start);
  if (comma >= 0) {
    // After the comma's line (a comment after the comma stays with the item it follows).
    const at = Math.min(lineEnd(text, comma), container.end - 1);
    return [{ start: at, end: at, text: `\n${indent}${item},` }];
  }
  const at = Math.min(lineEnd(text, last.end), container.end - 1);
  return [
    { start: last.end, end: last.end, text: ',' },
    { start: at, end: at, text: `\n${indent}${item}${trailingCommas ? ',' : ''}` },
  ];
}

/** Inserts `item` before `items[index]` (for keeping a sorted import list sorted). */
export function insertBefore(
  text: string,
  container: Pos,
  items: Pos[],
  index: number,
  item: string,
): Splice[] {
  const next = items[index]!;
  if (!isMultiline(text, container, items))
    return [{ start: next.start, end: next.start, text: `${item}, ` }];
  const indent = indentAt(text, next.start);
  return [{ start: next.start, end: next.start, text: `${item},\n${indent}` }];
}

/** Removes `items[index]` from a list with its separator, its own line(s) in a multi-line list. */
export function removeFromList(text: string, container: Pos, items: Pos[], index: number): Splice {
  const item = items[index]!;
  const comma = commaAfter(text, item.end);
  if (isMultiline(text, container, items)) {
    const start = lineStart(text, item.start);
    const startsLine = text.slice(start, item.start).trim() === '';
    const stop = comma >= 0 ? comma + 1 : item.end;
    const end = lineEnd(text, stop);
    const endsLine = text.slice(stop, end).trim() === '' || /^\s*\/\//.test(text.slice(stop, end));
    if (startsLine && endsLine && end < container.end) {
      const splice = { start, end: end + 1, text: '' };
      // The last item without a trailing comma: the previous item's comma goes too, so the list keeps its style.
      if (comma < 0 && index > 0) {
        const prevComma = commaAfter(text, items[index - 1]!.end);
        if (prevComma >= 0) return { start: prevComma, end: end, text: '' };
      }
      return splice;
    }
  }
  if (comma >= 0 && index < items.length - 1)
    return { start: item.start, end: skipTrivia(text, comma + 1), text: '' };
  if (index > 0) {
    const prevComma = commaAfter(text, items[index - 1]!.end);
    return {
      start: items[index - 1]!.end,
      end: comma >= 0 ? comma + 1 : item.end,
      text: prevComma >= 0 && comma >= 0 ? ',' : '',
    };
  }
  return { start: item.start, end: comma >= 0 ? skipTrivia(text, comma + 1) : item.end, text: '' };
}
