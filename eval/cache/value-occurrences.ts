const WORD = /[\p{L}\p{N}_]/u;
const DIGIT = /\d/;

/**
 * Where `value` occurs in `text` as a whole word or number: not inside a longer word, and a number
 * not inside a longer number (`20` is not in `2020`, `1.20` or `1,200`, but is in `over 20.`).
 */
export function valueOccurrences(text: string, value: string): number[] {
  if (value === '') return [];
  const found: number[] = [];
  for (let at = text.indexOf(value); at !== -1; at = text.indexOf(value, at + 1)) {
    const before = text[at - 1] ?? '';
    const after = text[at + value.length] ?? '';
    const numberGlue = (mark: string, next: string) => (mark === '.' || mark === ',') && DIGIT.test(next);
    if (WORD.test(before) && WORD.test(value[0]!)) continue;
    if (WORD.test(after) && WORD.test(value.at(-1)!)) continue;
    if (numberGlue(before, text[at - 2] ?? '') || numberGlue(after, text[at + value.length + 1] ?? '')) continue;
    found.push(at);
  }
  return found;
}
