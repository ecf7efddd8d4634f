/** Why a key is resting: its quota for one model is spent, or the API refused it for every model. */
export type RestReason = 'quota' | 'invalid';

interface Rest {
  until: number;
  reason: RestReason;
}

/**
 * API keys used in turn: the current key serves until it fails, then the next available one takes
 * over. A key over its quota rests for `cooldownMs` for that model only (Gemini's quotas are per
 * model); a key the API refused rests for every model.
 */
export class KeyRing {
  readonly keys: readonly string[];
  readonly #cooldownMs: number;
  readonly #now: () => number;
  /** By `model\0key`; the model is empty for a rest that covers every model. */
  readonly #rests = new Map<string, Rest>();
  #current = 0;

  constructor(keys: readonly string[], cooldownMs: number, now: () => number = Date.now) {
    if (keys.length === 0) throw new Error('KeyRing needs at least one key');
    this.keys = keys;
    this.#cooldownMs = cooldownMs;
    this.#now = now;
  }

  /** The key to use for `model` (the current one if it can serve), or null when every key rests or is in `exclude`. */
  pick(model: string, exclude: { has(key: string): boolean } = new Set()): string | null {
    for (let step = 0; step < this.keys.length; step += 1) {
      const index = (this.#current + step) % this.keys.length;
      const key = this.keys[index] as string;
      if (exclude.has(key) || this.restReason(key, model) !== null) continue;
      this.#current = index;
      return key;
    }
    return null;
  }

  /** Puts `key` to rest: for `model` after a quota error, for every model when it was refused. */
  rest(key: string, model: string, reason: RestReason): void {
    this.#rests.set(this.#slot(reason === 'quota' ? model : '', key), { until: this.#now() + this.#cooldownMs, reason });
  }

  /** Why `key` cannot serve `model` now, or null when it can. */
  restReason(key: string, model: string): RestReason | null {
    for (const slot of [this.#slot('', key), this.#slot(model, key)]) {
      const rest = this.#rests.get(slot);
      if (rest === undefined) continue;
      if (rest.until > this.#now()) return rest.reason;
      this.#rests.delete(slot);
    }
    return null;
  }

  /** 1-based position of a key, to name it in logs without writing the key itself. */
  label(key: string): string {
    return `key ${this.keys.indexOf(key) + 1} of ${this.keys.length}`;
  }

  #slot(model: string, key: string): string {
    return `${model}\0${key}`;
  }
}
