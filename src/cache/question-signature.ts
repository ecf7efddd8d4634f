import { LruMap } from '../lru-map.js';

/**
 * The literal signature of a question: the parts that change its meaning while barely moving its
 * embedding. Two questions that differ in one of them are different questions, however close
 * their vectors ("… who have treated dogs" / "… who have not treated any dogs", 0.93).
 *
 * - literals: numbers (digits or number words), quoted values, capitalised names and other entity
 *   spans — compared by value;
 * - markers: negation, comparatives, superlatives, ordering, aggregation, grouping, distinctness,
 *   set operations — compared as sets of meanings (synonyms share a marker).
 */

export type LiteralKind = 'number' | 'quoted' | 'name';

export interface QuestionLiteral {
  kind: LiteralKind;
  /** As written in the question (for quoted values: without the quotes). */
  text: string;
  /** Compared value: a canonical number, or the text lower-cased. */
  value: string;
  start: number;
  end: number;
}

export interface QuestionSignature {
  question: string;
  literals: QuestionLiteral[];
  /** Sorted, distinct meaning markers (e.g. `neg`, `cmp:gt`, `sup:max`, `agg:count`; weak ones start with `~`). */
  markers: string[];
  /** The question lower-cased with each literal replaced by its kind: equal templates differ only in literals. */
  template: string;
  /** Lower-cased words of the question, for "is this value mentioned" checks. */
  normalized: string;
}

const NUMBER_WORDS: Record<string, number> = {
  zero: 0, one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10,
  eleven: 11, twelve: 12, thirteen: 13, fourteen: 14, fifteen: 15, sixteen: 16, seventeen: 17, eighteen: 18,
  nineteen: 19, twenty: 20, thirty: 30, forty: 40, fifty: 50, sixty: 60, seventy: 70, eighty: 80, ninety: 90,
  hundred: 100, thousand: 1000, million: 1_000_000, 'a single': 1,
};

/**
 * Meaning markers, each with the phrases that express it. Phrases are matched on word boundaries,
 * longest first, and a matched span is not matched again ("at least" is not also "least").
 */
const MARKER_PHRASES: ReadonlyArray<[string, readonly string[]]> = [
  // Column-like phrases that contain a marker word but mean nothing of the kind.
  ['', ['first name', 'first names', 'last name', 'last names', 'no.', 'phone number', 'phone numbers', 'id number', 'zip code']],
  ['neg', ['not', "n't", 'no', 'never', 'without', 'none', 'nobody', 'nothing', 'neither', 'nor', 'except', 'excluding', 'exclude', 'other than', 'apart from', 'besides', 'lack', 'lacks', 'missing']],
  ['cmp:gte', ['at least', 'or more', 'no less than', 'not less than', 'minimum of', 'or above', 'or older', 'or higher', 'or greater', 'or larger']],
  ['cmp:lte', ['at most', 'or less', 'or fewer', 'no more than', 'not more than', 'maximum of', 'or below', 'or younger', 'or lower', 'or smaller', 'up to']],
  ['cmp:gt', ['more than', 'greater', 'larger', 'bigger', 'higher', 'taller', 'heavier', 'older', 'longer', 'above', 'over', 'exceed', 'exceeds', 'exceeding', 'after', 'later than', 'beyond']],
  ['cmp:lt', ['less than', 'fewer', 'less', 'smaller', 'lower', 'shorter', 'younger', 'lighter', 'cheaper', 'below', 'under', 'before', 'earlier than']],
  ['cmp:between', ['between']],
  ['cmp:eq', ['equal to', 'equals', 'exactly']],
  // A superlative over "number of" orders by a count; it is not a count asked for.
  ['sup:max', ['most number of', 'largest number of', 'highest number of', 'greatest number of', 'biggest number of', 'most', 'highest', 'largest', 'biggest', 'greatest', 'tallest', 'maximum', 'max', 'top', 'best', 'maximal', 'most common', 'most commonly', 'most frequent', 'most popular']],
  ['sup:min', ['least number of', 'fewest number of', 'smallest number of', 'lowest number of', 'least', 'lowest', 'smallest', 'fewest', 'minimum', 'min', 'minimal', 'worst', 'least common', 'least popular', 'bottom']],
  ['sup:oldest', ['oldest', 'eldest', 'earliest']],
  ['sup:youngest', ['youngest', 'newest', 'latest', 'most recent', 'most recently']],
  ['sup:longest', ['longest']],
  ['sup:shortest', ['shortest']],
  ['sup:heaviest', ['heaviest']],
  ['sup:lightest', ['lightest']],
  ['sup:cheapest', ['cheapest']],
  ['sup:priciest', ['most expensive', 'priciest', 'costliest']],
  ['order:desc', ['descending', 'decreasing', 'descending order', 'reverse', 'reversed', 'from highest to lowest', 'from most to least', 'from largest to smallest', 'from the oldest to the youngest', 'from oldest to youngest', 'high to low']],
  ['order:asc', ['ascending', 'increasing', 'alphabetical', 'alphabetically', 'lexicographical', 'lexicographic', 'from lowest to highest', 'from least to most', 'from smallest to largest', 'from the youngest to the oldest', 'from youngest to oldest', 'low to high']],
  ['agg:count', ['how many', 'count', 'counts', 'number of', 'numbers of', 'total number']],
  ['agg:avg', ['average', 'mean', 'avg']],
  ['agg:sum', ['sum', 'sums']],
  // Weak markers: recorded (they describe the question) but not compared — paraphrases drop and
  // add them freely ("number of documents in each" / "how many documents for every").
  ['~order', ['sorted', 'sort', 'ordered', 'order', 'ranked', 'arranged by']],
  ['~total', ['total', 'in total', 'combined', 'altogether']],
  ['~group', ['each', 'per', 'for each', 'for every', 'by each', 'respectively', 'corresponding']],
  ['~distinct', ['different', 'distinct', 'unique']],
  ['~both', ['both', 'and also', 'as well as']],
  ['~either', ['either', 'or']],
];

const PHRASES = MARKER_PHRASES.flatMap(([marker, phrases]) => phrases.map((phrase) => ({ marker, phrase }))).sort((a, b) => b.phrase.length - a.phrase.length);
/** Phrase (spaces collapsed) → its marker. */
const MARKER_OF = new Map(PHRASES.map(({ marker, phrase }) => [phrase, marker]));
/**
 * Every phrase in one pattern, longest first: at each position the longest phrase wins ("at least"
 * is not also "least"), and a question is scanned once.
 */
const PHRASE_PATTERN = new RegExp(`(?<![\\p{L}\\p{N}'])(?:${PHRASES.map(({ phrase }) => escapeRegExp(phrase).replace(/ /g, '\\s+')).join('|')})(?![\\p{L}\\p{N}])`, 'giu');

/** A quoted value: the inner text may hold the other kind of quote (`"Kyle's"`, `'say "hi"'`). */
const QUOTED = /(?<![\p{L}\p{N}])(?:"([^"\n]{1,200})"|“([^”\n]{1,200})”|'([^'\n]{1,200})'|‘([^’\n]{1,200})’|«([^»\n]{1,200})»)(?![\p{L}\p{N}])/gu;
const NUMBER = /(?<![\p{L}\p{N}.])-?\d+(?:,\d{3})*(?:\.\d+)?(?![\p{L}\p{N}])/gu;
const NUMBER_WORD = new RegExp(`(?<![\\p{L}\\p{N}])(?:${Object.keys(NUMBER_WORDS).join('|')})(?![\\p{L}\\p{N}])`, 'giu');
/** A capitalised word (or all-caps / mixed with digits), possibly hyphenated or with an apostrophe. */
const CAPITALISED_WORD = /(?<![\p{L}\p{N}])\p{Lu}[\p{L}\p{N}]*(?:[-'’.][\p{L}\p{N}]+)*/gu;
/** Small words that may sit inside a name ("Bank of America", "Port of Spain"). */
const NAME_JOINERS = new Set(['of', 'de', 'la', 'du', 'van', 'von', 'der', 'del', 'di', 'da', 'le', '&']);

export function analyzeQuestion(question: string): QuestionSignature {
  const taken: Array<[number, number]> = [];
  const free = (start: number, end: number) => !taken.some(([s, e]) => start < e && end > s);
  const literals: QuestionLiteral[] = [];
  const add = (literal: QuestionLiteral) => {
    literals.push(literal);
    taken.push([literal.start, literal.end]);
  };

  for (const m of question.matchAll(QUOTED)) {
    const inner = m.slice(1).find((g) => g !== undefined) ?? '';
    if (inner.trim() === '') continue;
    add({ kind: 'quoted', text: inner, value: inner.toLowerCase(), start: m.index, end: m.index + m[0].length });
  }
  for (const m of question.matchAll(NUMBER)) {
    if (!free(m.index, m.index + m[0].length)) continue;
    add({ kind: 'number', text: m[0], value: canonicalNumber(m[0].replace(/,/g, '')), start: m.index, end: m.index + m[0].length });
  }
  for (const m of question.matchAll(NUMBER_WORD)) {
    if (!free(m.index, m.index + m[0].length) || isPronounOne(question, m.index, m[0])) continue;
    add({ kind: 'number', text: m[0], value: String(NUMBER_WORDS[m[0].toLowerCase()]), start: m.index, end: m.index + m[0].length });
  }
  for (const span of nameSpans(question)) {
    if (!free(span.start, span.end)) continue;
    add({ kind: 'name', text: span.text, value: span.text.toLowerCase(), start: span.start, end: span.end });
  }
  literals.sort((a, b) => a.start - b.start);

  const markers = new Set<string>();
  const lowered = yesNoValuesMasked(question.toLowerCase());
  for (const m of lowered.matchAll(PHRASE_PATTERN)) {
    const end = m.index + m[0].length;
    if (literals.some((l) => m.index < l.end && end > l.start)) continue;
    const marker = MARKER_OF.get(m[0].replace(/\s+/g, ' '));
    if (marker) markers.add(marker);
  }

  if (hasNumberRange(question, literals)) markers.add('cmp:between');
  return { question, literals, markers: [...markers].sort(), template: templateOf(question, literals), normalized: words(question) };
}

/** Beside "yes", "no" is a value ("1 stands for yes and 0 for no"), not a negation. */
function yesNoValuesMasked(lowered: string): string {
  return /\byes\b/.test(lowered) ? lowered.replace(/\bno\b/g, '  ') : lowered;
}

/** "1 to 2 paragraphs", "from 5 to 10": a range, as "between 1 and 2". */
function hasNumberRange(question: string, literals: readonly QuestionLiteral[]): boolean {
  return literals.some((a, i) => {
    const b = literals[i + 1];
    return a.kind === 'number' && b?.kind === 'number' && /^\s+to\s+$/iu.test(question.slice(a.end, b.start));
  });
}

/** "the one with …", "which one", "each one": a pronoun, not a number. */
function isPronounOne(question: string, index: number, word: string): boolean {
  return word.toLowerCase() === 'one' && /\b(?:the|which|each|this|that|any|every|no|another)\s+$/iu.test(question.slice(0, index));
}

/**
 * Whether `value` is mentioned in the question: case-insensitive, on word boundaries, a plural or
 * possessive ending ignored on either side ("cats" mentions 'cat', "Kyle's" mentions 'Kyle').
 */
export function mentions(signature: QuestionSignature, value: string): boolean {
  const needle = stemWords(words(value));
  if (needle === '') return false;
  return ` ${stemWords(signature.normalized)} `.includes(` ${needle} `);
}

/** Markers whose difference changes a question's meaning (weak ones, `~…`, left out). */
export function strongMarkers(signature: QuestionSignature): string[] {
  return signature.markers.filter((m) => !m.startsWith('~'));
}

/** The question's words, stemmed as `mentions` compares them. */
export function stemmedWords(text: string): ReadonlySet<string> {
  return STEMMED_WORDS.remember(text, () => new Set(stemWords(words(text)).split(' ').filter(Boolean)));
}

function stemWords(text: string): string {
  return STEMMED_TEXT.remember(text, () => text.split(' ').map(stem).join(' '));
}

/** The guard asks for the same texts (a cached question, its SQL's words) on every lookup. */
const STEMMED_MEMO = 20_000;
const STEMMED_WORDS = new LruMap<string, ReadonlySet<string>>(STEMMED_MEMO);
const STEMMED_TEXT = new LruMap<string, string>(STEMMED_MEMO);

/** A word without its possessive or plural ending: "Kyle's" → kyle, "cities" → city, "boxes" → box, "pets" → pet. */
function stem(word: string): string {
  const bare = word.replace(/['’]s?$/u, '');
  if (/^\p{L}{2,}ies$/u.test(bare)) return `${bare.slice(0, -3)}y`;
  if (/^\p{L}{2,}(?:ss|x|z|ch|sh)es$/u.test(bare)) return bare.slice(0, -2);
  // Not after s, u or i: "class", "status", "analysis" are singular.
  if (/^\p{L}+[^siu'’]s$/u.test(bare)) return bare.slice(0, -1);
  return bare;
}

/** Digits for a number as compared: `20.0` and `20` are equal, `07` is `7`. */
export function canonicalNumber(text: string): string {
  const n = Number(text);
  return Number.isFinite(n) ? String(n) : text;
}

/** Lower-cased words separated by single spaces (punctuation dropped, apostrophes kept inside words). */
function words(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}'’.-]+/gu, ' ')
    .replace(/(?<![\p{L}\p{N}])['’.-]+|['’.-]+(?![\p{L}\p{N}])/gu, ' ')
    .trim()
    .replace(/\s+/g, ' ');
}

function templateOf(question: string, literals: readonly QuestionLiteral[]): string {
  let out = '';
  let at = 0;
  for (const l of literals) {
    out += question.slice(at, l.start) + ` <${l.kind}> `;
    at = l.end;
  }
  return words(out + question.slice(at)).replace(/< ?(number|quoted|name) ?>/g, '<$1>');
}

/**
 * Capitalised spans that are not merely the sentence's first word: "Kyle", "Port Chelsea",
 * "Tabatha Gehling", "TV". A sentence-initial word counts only when the next word continues the
 * name ("Port Chelsea is …") — "What", "Show", "List" are not names.
 */
function nameSpans(question: string): Array<{ text: string; start: number; end: number }> {
  const tokens = [...question.matchAll(/[\p{L}\p{N}&][\p{L}\p{N}'’.-]*/gu)].map((m) => ({ text: m[0].replace(/[.'’-]+$/u, ''), start: m.index }));
  const spans: Array<{ text: string; start: number; end: number }> = [];
  let i = 0;
  while (i < tokens.length) {
    const token = tokens[i]!;
    if (!isCapitalised(token.text)) {
      i++;
      continue;
    }
    let j = i;
    // Extend over further capitalised words, allowing a joiner between two of them.
    while (j + 1 < tokens.length) {
      const next = tokens[j + 1]!;
      if (!adjacent(question, tokens[j]!, next)) break;
      if (isCapitalised(next.text)) j++;
      else if (NAME_JOINERS.has(next.text.toLowerCase()) && j + 2 < tokens.length && isCapitalised(tokens[j + 2]!.text) && adjacent(question, next, tokens[j + 2]!)) j += 2;
      else break;
    }
    const sentenceStart = isSentenceStart(question, token.start);
    if (sentenceStart && j === i) {
      i++;
      continue;
    }
    const first = sentenceStart ? i + 1 : i;
    const start = tokens[first]!.start;
    const last = tokens[j]!;
    spans.push({ text: question.slice(start, last.start + last.text.length), start, end: last.start + last.text.length });
    i = j + 1;
  }
  return spans;
}

function isCapitalised(word: string): boolean {
  return /^\p{Lu}/u.test(word) && word !== 'I';
}

/** Two tokens separated by spaces only (not by a comma or other punctuation). */
function adjacent(question: string, a: { text: string; start: number }, b: { start: number }): boolean {
  return /^\s+$/.test(question.slice(a.start + a.text.length, b.start));
}

function isSentenceStart(question: string, index: number): boolean {
  const before = question.slice(0, index).trimEnd();
  return before === '' || /[.?!:;]$/.test(before);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
