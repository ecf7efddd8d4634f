import { badInput } from '../errors/safe-error.js';

/** Control characters other than tab, line feed and carriage return. */
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u2028\u2029\u200b-\u200f\u202a-\u202e\u2066-\u2069]/u;

/**
 * A question as the cache takes it: trimmed, non-empty, at most `maxChars`, without control or
 * bidirectional-override characters (they can make two different questions look identical).
 * Anything else is BAD_USER_INPUT, before anything is embedded or stored.
 */
export function acceptQuestion(question: string, maxChars: number): string {
  const trimmed = question.trim();
  if (trimmed === '') throw badInput('the question is empty');
  if (trimmed.length > maxChars) throw badInput(`the question is ${trimmed.length} characters long; at most ${maxChars} are accepted (DISTRAG_CACHE_MAX_QUESTION_CHARS)`);
  const control = CONTROL.exec(trimmed);
  if (control) throw badInput(`the question contains the control character U+${control[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}; remove it`);
  return trimmed.normalize('NFC');
}

/** The form two questions are the same entry in: case, spacing and final punctuation ignored. */
export function normalizedQuestion(question: string): string {
  return question.toLowerCase().replace(/\s+/g, ' ').replace(/[\s?.!]+$/u, '').trim();
}
