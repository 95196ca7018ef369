/**
 * Edit distance counting insertions, deletions, substitutions and swaps of two neighbours as one edit each (the
 * "optimal string alignment" form of Damerau-Levenshtein): `aprove` → `approve` is 1, `stauts` → `status` is 1.
 */
export function damerauLevenshtein(a: string, b: string): number {
  const cols = b.length + 1;
  // Three rolling rows are all a swap needs to look back at.
  let before = new Int32Array(cols);
  let previous = new Int32Array(cols);
  let current = new Int32Array(cols);
  for (let j = 0; j < cols; j += 1) previous[j] = j;
  for (let i = 1; i <= a.length; i += 1) {
    current[0] = i;
    for (let j = 1; j < cols; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, (before[j - 2] ?? 0) + 1);
      }
      current[j] = best;
    }
    [before, previous, current] = [previous, current, before];
  }
  return previous[b.length] ?? 0;
}
