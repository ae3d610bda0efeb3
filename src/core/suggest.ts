// "Did you mean …": the known word closest to a mistyped one, for usage errors and unknown tool names. Pure.

/** Edit distance (insertions, deletions, substitutions; a swap of neighbours counts once). */
function distance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) rows[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = best;
    }
  }
  return rows[a.length]![b.length]!;
}

/** The candidate closest to `word` when it is close enough to be a typo of it (or a prefix of it), else undefined. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  // The distance table is word × candidate: a name far longer than any candidate is no typo, and a hostile
  // megabyte-long one must not cost a megabyte-sized table.
  if (word.length > 2 * Math.max(0, ...candidates.map((candidate) => candidate.length)) + 8) return undefined;
  const lower = word.toLowerCase();
  let best: { candidate: string; score: number } | undefined;
  for (const candidate of candidates) {
    const target = candidate.toLowerCase();
    const score = target.startsWith(lower) && lower.length >= 3 ? 0.5 : distance(lower, target);
    if (best === undefined || score < best.score) best = { candidate, score };
  }
  if (best === undefined) return undefined;
  return best.score <= Math.max(2, Math.floor(word.length / 3)) ? best.candidate : undefined;
}

/** " Did you mean "x"?" or "" — ready to append to a sentence. */
export function didYouMean(
  word: string,
  candidates: readonly string[],
  quote = (s: string) => `"${s}"`,
): string {
  const match = closest(word, candidates);
  return match === undefined ? '' : ` Did you mean ${quote(match)}?`;
}
