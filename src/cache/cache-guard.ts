import { parseSync } from 'libpg-query';
import { analyzeQuestion, canonicalNumber, mentions, stemmedWords, strongMarkers, type QuestionLiteral, type QuestionSignature } from './question-signature.js';
import { analyzeSql, identifierWords, type SqlAnalysis, type SqlConstant } from './sql-analysis.js';
import type { Vocabulary } from './tenant-index.js';

/**
 * Decides whether a cached question, already within the similarity threshold of an incoming one,
 * may answer it: as is (HIT), with the incoming question's literals bound into its SQL (REBOUND),
 * or not at all (REJECT). The embedding says "these read alike"; this says "and they mean the
 * same thing", from what embeddings are known to blur: literals, negation, comparison, order.
 */
export interface GuardPolicy {
  /** Require agreement of the literal signature (numbers, quoted values, names, comparatives, negation, …). */
  literalGuard: boolean;
  /** Allow REBOUND when the questions differ only in literals. */
  rebind: boolean;
}

export type GuardDecision =
  | { kind: 'HIT' }
  /** `sql` has `$1…$n` where the cached SQL had literals; `params` are their new values, as text. */
  | { kind: 'REBOUND'; sql: string; params: string[] }
  | { kind: 'REJECT'; reason: string };

/** A cached question and its SQL, analysed (done once, when the entry is stored or loaded). */
export interface AnalyzedEntry {
  signature: QuestionSignature;
  sql: SqlAnalysis;
}

/** Stemmed schema words (see `judge`) from the SQL of a tenant's entries. */
export function schemaVocabulary(entries: Iterable<AnalyzedEntry>): Set<string> {
  const words = new Set<string>();
  for (const entry of entries) for (const w of stemmedWords(entry.sql.schemaWords.join(' '))) words.add(w);
  return words;
}

/**
 * Bumped whenever the analyses change shape or meaning: a stored analysis of another version is
 * not used (the entry is analysed again).
 */
const ANALYSIS_VERSION = 1;

/** An entry's analysis as stored with it, so that a lookup judging it need not parse its SQL again. */
export function serializeAnalysis(analysis: AnalyzedEntry): string {
  return JSON.stringify({ v: ANALYSIS_VERSION, ...analysis });
}

/** A stored analysis, or null when absent, unreadable or of another version. */
export function parseAnalysis(json: string | null | undefined): AnalyzedEntry | null {
  if (!json) return null;
  try {
    const parsed = JSON.parse(json) as AnalyzedEntry & { v?: number };
    return parsed.v === ANALYSIS_VERSION ? { signature: parsed.signature, sql: parsed.sql } : null;
  } catch {
    return null;
  }
}

export function analyzeEntry(question: string, sql: string): AnalyzedEntry {
  return { signature: analyzeQuestion(question), sql: analyzeSql(sql) };
}

/** `judge` on raw text (analyses both sides; the SQL parser must be prepared: prepareSqlParser()). */
export function judgeCandidate(cached: { question: string; sql: string }, incoming: string, policy: GuardPolicy, vocabulary?: Vocabulary): GuardDecision {
  return judge(analyzeEntry(cached.question, cached.sql), analyzeQuestion(incoming), policy, vocabulary);
}

/**
 * Checks, in order: meaning markers; a count per group against a single count; schema words the
 * incoming question adds or result columns it leaves out; then literals (HIT, REBOUND or REJECT).
 *
 * `vocabulary`: the stemmed words of the tenant's table and column names known so far (see
 * schemaVocabulary). An incoming question naming one of them that neither the cached question nor
 * its SQL names asks about something else ("… number of documents for each type" against
 * "… number of templates for each type").
 */
export function judge(cached: AnalyzedEntry, incoming: QuestionSignature, policy: GuardPolicy, vocabulary?: Vocabulary): GuardDecision {
  if (!policy.literalGuard) return { kind: 'HIT' };
  const markerDifference = symmetricDifference(comparedMarkers(cached, cached.signature), comparedMarkers(cached, incoming));
  if (markerDifference.length > 0) return reject(`the questions differ in meaning markers (${markerDifference.join(', ')})`);
  if (countsPerGroup(incoming) && cached.sql.functions.includes('count') && !cached.sql.grouped) return reject('the incoming question counts per group; the cached SQL counts once');
  if (countsPerGroup(cached.signature) && cached.sql.grouped && !countsPerGroup(incoming)) return reject('the cached question counts per group; the incoming once');
  const foreign = foreignWords(cached, incoming, vocabulary);
  if (foreign.length > 0) return reject(`the incoming question names ${foreign.join(', ')}, which the cached question and SQL do not`);
  const dropped = droppedOutputWords(cached, incoming);
  if (dropped.length > 0) return reject(`the incoming question does not ask for ${dropped.join(', ')}, which the cached question and SQL do`);

  const differing = differingLiterals(cached, incoming, vocabulary);
  if (differing.length > 0) {
    if (!policy.rebind) return reject(`the questions differ in ${describe(differing)}`);
    return rebind(cached, incoming);
  }
  // A value the cached question names and its SQL uses must be named by the incoming question too;
  // this catches values the literal patterns miss (lower-case names: "… from physics").
  for (const constant of cached.sql.constants) {
    if (constant.inLimit) continue;
    const core = valueCore(constant);
    if (core === '' || !mentionsValue(cached.signature, constant, core)) continue;
    if (!mentionsValue(incoming, constant, core)) return reject(`the incoming question does not mention ${JSON.stringify(core)}, which the cached SQL uses`);
  }
  return { kind: 'HIT' };
}

/** "How many … each …": a count for every group, not one count. */
function countsPerGroup(signature: QuestionSignature): boolean {
  return signature.markers.includes('agg:count') && signature.markers.includes('~group');
}

/**
 * Schema words (the tenant's vocabulary, and attribute nouns such as id, name, description, which
 * any schema has) that the incoming question names and neither the cached question nor its SQL does.
 */
function foreignWords(cached: AnalyzedEntry, incoming: QuestionSignature, vocabulary: Vocabulary = new Set<string>()): string[] {
  const sqlWords = [...cached.sql.tables.map((t) => t.slice(t.indexOf('.') + 1)), ...cached.sql.columns].flatMap((n) => identifierWords(n, ATTRIBUTE_IDENTIFIERS));
  const known = new Set([...stemmedWords(cached.signature.question), ...stemmedWords(sqlWords.join(' '))]);
  return [...stemmedWords(incoming.question)].filter((w) => (vocabulary.has(w) || ATTRIBUTE_WORDS.has(w)) && !known.has(w));
}

/** Generic column words that still tell which data a question asks for. */
const ATTRIBUTE_IDENTIFIERS: ReadonlySet<string> = new Set(['id', 'ids', 'name', 'names', 'description', 'descriptions', 'date', 'dates', 'detail', 'details']);
const ATTRIBUTE_WORDS = stemmedWords([...ATTRIBUTE_IDENTIFIERS].join(' '));

/**
 * Words of the cached result's columns that the cached question names and the incoming question
 * does not ask for: it asks for other data ("… the grade of Kyle" / "… the ID of Kyle").
 */
function droppedOutputWords(cached: AnalyzedEntry, incoming: QuestionSignature): string[] {
  const output = stemmedWords(cached.sql.outputColumns.flatMap((c) => identifierWords(c, ATTRIBUTE_IDENTIFIERS)).join(' '));
  const asked = stemmedWords(incoming.question);
  return [...stemmedWords(cached.signature.question)].filter((w) => output.has(w) && !asksFor(asked, incoming.question, w));
}

/**
 * Question words that ask for a kind of attribute without naming it ("When …" for a date) — at the
 * start of a sentence only: inside one they are relative ("students who …", "cities where …").
 */
const QUESTION_WORDS: ReadonlyArray<[RegExp, readonly string[]]> = [
  [/^when\b/, ['date', 'time', 'year', 'day', 'month']],
  [/^where\b/, ['location', 'place', 'address', 'city', 'country', 'hometown']],
  [/^who(?:se)?\b/, ['name']],
  [/^how old\b/, ['age']],
  [/^how tall\b/, ['height']],
  [/^how long\b/, ['length', 'duration']],
  [/^how much\b/, ['price', 'cost', 'amount', 'weight']],
];

/** Whether the question asks for `word`: names it, a word of the same root (weigh/weight), or a question word for it. */
function asksFor(asked: ReadonlySet<string>, question: string, word: string): boolean {
  if (asked.has(word)) return true;
  if (word.length >= 5 && [...asked].some((w) => w.length >= 5 && w.slice(0, 5) === word.slice(0, 5))) return true;
  const sentences = question.toLowerCase().split(/[.?!;]\s*/).map((s) => s.trim());
  return QUESTION_WORDS.some(([pattern, attributes]) => attributes.includes(word) && sentences.some((s) => pattern.test(s)));
}

/**
 * The strong markers compared between the questions. When the cached SQL counts nothing but reads
 * a column named for a count (number_products, num_of_staff — not version_number), "number of
 * products" names that column in either question, so a count is not compared for that entry.
 */
function comparedMarkers(cached: AnalyzedEntry, signature: QuestionSignature): string[] {
  const markers = strongMarkers(signature);
  return countIsAColumn(cached.sql) ? markers.filter((m) => m !== 'agg:count') : markers;
}

function countIsAColumn(sql: SqlAnalysis): boolean {
  return !sql.functions.includes('count') && sql.columns.some((c) => /^(?:num|number|count|n)_/.test(c));
}

/**
 * Literals that make the questions differ: any of the incoming question's that the cached one does
 * not have, and those of the cached question that its SQL uses and the incoming one does not have.
 * A cached question's literal that its SQL does not use is wording, not a value ("TV Channel",
 * "line 1"): the cached answer does not depend on it.
 */
function differingLiterals(cached: AnalyzedEntry, incoming: QuestionSignature, vocabulary?: Vocabulary): QuestionLiteral[] {
  const has = (signature: QuestionSignature, l: QuestionLiteral) =>
    l.kind === 'number' ? signature.literals.some((o) => o.kind === 'number' && o.value === l.value) : mentions(signature, l.text);
  const used = (l: QuestionLiteral) => cached.sql.constants.some((c) => constantMatches(c, l) || (c.kind === 'string' && l.kind !== 'number' && mentions(cached.signature, valueCore(c)) && mentionsLiteral(l, valueCore(c))));
  const sqlWords = stemmedWords(cached.sql.schemaWords.join(' '));
  const schema: Vocabulary = { has: (w) => sqlWords.has(w) || (vocabulary?.has(w) ?? false) };
  const incomingValue = (l: QuestionLiteral) => !(l.kind === 'name' && namesSchema(l, schema) && !used(l));
  return [...incoming.literals.filter((l) => incomingValue(l) && !has(cached.signature, l)), ...cached.signature.literals.filter((l) => used(l) && !has(incoming, l))];
}

/**
 * A capitalised name made only of schema words ("TV Channel", "Episode", "IDs") names a table or
 * column, not a value.
 */
function namesSchema(literal: QuestionLiteral, schema: Vocabulary): boolean {
  const words = literal.text.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter(Boolean);
  return words.length > 0 && words.every((w) => w.length > 1 && (identifierWords(w).length === 0 || [...stemmedWords(w)].every((s) => schema.has(s))));
}

/** Whether a literal's text and a SQL value are the same words (plural/possessive aside). */
function mentionsLiteral(literal: QuestionLiteral, value: string): boolean {
  return mentions({ question: literal.text, literals: [], markers: [], template: '', normalized: literal.text.toLowerCase().replace(/[^\p{L}\p{N}'’.-]+/gu, ' ').trim() }, value);
}

/**
 * The cached SQL with the incoming question's literals bound where the cached question's were.
 * Only when the questions are the same text but for their literals, and every changed literal is
 * found, verbatim, among the SQL's constants (an implied value — "French" for 'France' — is not).
 * Values are bound as parameters, never written into the SQL text.
 */
function rebind(cached: AnalyzedEntry, incoming: QuestionSignature): GuardDecision {
  const before = cached.signature.literals;
  const after = incoming.literals;
  if (cached.signature.template !== incoming.template || before.length !== after.length) return reject('the questions differ in more than their literals');

  const changed = new Set<number>();
  for (let i = 0; i < before.length; i++) {
    if (before[i]!.value !== after[i]!.value || before[i]!.text !== after[i]!.text) changed.add(i);
  }
  for (const i of changed) {
    const sameValueElsewhere = before.some((l, j) => j !== i && l.value === before[i]!.value && after[j]!.value !== after[i]!.value);
    if (sameValueElsewhere) return reject(`the cached question has ${JSON.stringify(before[i]!.text)} twice, changed differently: ambiguous`);
  }

  const bindings: Array<{ constant: SqlConstant; literal: number; value: string }> = [];
  const used = new Set<number>();
  for (const constant of cached.sql.constants) {
    const literal = before.findIndex((l) => constantMatches(constant, l));
    if (literal < 0 || !changed.has(literal)) continue;
    if (constant.typed) return reject(TYPED_LITERAL);
    const value = boundValue(constant, before[literal]!, after[literal]!);
    if (value === null) return reject(`${JSON.stringify(after[literal]!.text)} cannot take the place of ${constant.kind} ${JSON.stringify(constant.value)}`);
    bindings.push({ constant, literal, value });
    used.add(literal);
  }
  const unbound = [...changed].filter((i) => !used.has(i));
  if (unbound.length > 0) return reject(`the cached SQL does not use ${unbound.map((i) => JSON.stringify(before[i]!.text)).join(', ')} as written, so ${unbound.length > 1 ? 'they' : 'it'} cannot be re-bound`);

  const bytes = Buffer.from(cached.sql.sql, 'utf8');
  const params: string[] = [];
  const parameterOf = new Map<string, number>();
  let sql = '';
  let at = 0;
  for (const { constant, literal, value } of bindings) {
    const key = `${literal}\u0000${value}`;
    let n = parameterOf.get(key);
    if (n === undefined) {
      params.push(value);
      n = params.length;
      parameterOf.set(key, n);
    }
    sql += bytes.subarray(at, constant.start).toString('utf8') + `$${n}`;
    at = constant.end;
  }
  sql += bytes.subarray(at).toString('utf8');
  try {
    parseSync(sql);
  } catch {
    return reject(TYPED_LITERAL);
  }
  return { kind: 'REBOUND', sql, params };
}

const TYPED_LITERAL = "the cached SQL does not take a parameter where the changed value is (a typed literal such as DATE '…')";

/** Whether a SQL constant is the question literal, verbatim (a LIKE pattern may wrap it in % or _). */
function constantMatches(constant: SqlConstant, literal: QuestionLiteral): boolean {
  if (literal.kind === 'number' && constant.kind !== 'string') return canonicalNumber(constant.value) === literal.value;
  if (constant.kind !== 'string') return false;
  if (literal.kind === 'number') return constant.value === literal.text;
  return wildcardsAround(constant.value, literal.text) !== null;
}

/** The value replacing `constant` when the question's `from` literal becomes `to`; null when it cannot. */
function boundValue(constant: SqlConstant, from: QuestionLiteral, to: QuestionLiteral): string | null {
  if (constant.kind === 'integer') return /^-?\d+$/.test(to.value) ? to.value : null;
  if (constant.kind === 'float') return to.kind === 'number' ? to.value : null;
  if (from.kind === 'number') return to.text;
  const wrap = wildcardsAround(constant.value, from.text);
  return wrap === null ? null : `${wrap.prefix}${to.text}${wrap.suffix}`;
}

function wildcardsAround(value: string, text: string): { prefix: string; suffix: string } | null {
  const at = value.indexOf(text);
  if (at < 0) return null;
  const prefix = value.slice(0, at);
  const suffix = value.slice(at + text.length);
  return /^[%_]*$/.test(prefix) && /^[%_]*$/.test(suffix) ? { prefix, suffix } : null;
}

/** A constant's value without LIKE wildcards around it. */
function valueCore(constant: SqlConstant): string {
  return constant.kind === 'string' ? constant.value.replace(/^[%_]+|[%_]+$/g, '') : constant.value;
}

function mentionsValue(signature: QuestionSignature, constant: SqlConstant, core: string): boolean {
  if (constant.kind !== 'string') return signature.literals.some((l) => l.kind === 'number' && l.value === canonicalNumber(core));
  return mentions(signature, core);
}

function describe(literals: readonly QuestionLiteral[]): string {
  return [...new Set(literals.map((l) => `${l.kind} ${JSON.stringify(l.text)}`))].join(', ');
}

function symmetricDifference(a: readonly string[], b: readonly string[]): string[] {
  return [...a.filter((x) => !b.includes(x)), ...b.filter((x) => !a.includes(x))];
}

function reject(reason: string): GuardDecision {
  return { kind: 'REJECT', reason };
}
