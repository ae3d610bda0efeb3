// Canonical JSON: one text for one value, so a plan hashed now and the same plan rebuilt minutes later (after a new
// dry run, in another call) hash alike. Invariant: only plain data is accepted — objects whose prototype is Object
// or null, arrays, strings, finite numbers, booleans and null. Anything else (a Map, a Date, a class instance,
// NaN, a bigint, a function, an undefined array slot) throws instead of being silently turned into `{}` or `null`
// the way JSON.stringify would, because two different values must never share a hash.
import { createHash } from 'node:crypto';

export function canonicalJson(value: unknown): string {
  return write(value, '$');
}

/** sha256 of the canonical text, hex. The label separates hash domains (a plan can never collide with a row). */
export function canonicalHash(label: string, value: unknown): string {
  return createHash('sha256').update(`${label}\n`).update(canonicalJson(value)).digest('hex');
}

function write(value: unknown, at: string): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      // JSON.stringify escapes lone surrogates (ES2019 well-formed stringify), so every string has one text.
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`${at}: ${value} has no JSON form`);
      return JSON.stringify(value); // -0 prints as 0
    case 'object':
      break;
    default:
      throw new TypeError(`${at}: a ${typeof value} is not plain data`);
  }
  if (Array.isArray(value)) {
    const parts: string[] = [];
    for (let i = 0; i < value.length; i++) {
      if (!(i in value) || value[i] === undefined)
        throw new TypeError(`${at}[${i}]: an array slot must hold a value`);
      parts.push(write(value[i], `${at}[${i}]`));
    }
    return `[${parts.join(',')}]`;
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null)
    throw new TypeError(`${at}: only plain objects are plain data`);
  const record = value as Record<string, unknown>;
  // Keys sort by UTF-16 code units (the default sort): the same order on every engine and locale.
  const keys = Object.keys(record)
    .filter((key) => record[key] !== undefined)
    .sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${write(record[key], `${at}.${key}`)}`).join(',')}}`;
}
