// Long text cut to a readable length, the one way: what was cut is counted in a visible marker, and a
// surrogate pair is never split (half a character is not valid UTF-8).

/** `text` cut to at most `max` characters plus a marker saying how many were left out; 0 or less keeps it whole. */
export function shortenText(text: string, max: number): string {
  if (!(max > 0) || text.length <= max) return text;
  let cut = max;
  const code = text.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) cut -= 1;
  return `${text.slice(0, cut)}…[+${text.length - cut} chars]`;
}

/** shortenText, saying whether anything was cut. */
export function capText(text: string, max: number): { text: string; truncated: boolean } {
  const shortened = shortenText(text, max);
  return { text: shortened, truncated: shortened !== text };
}
