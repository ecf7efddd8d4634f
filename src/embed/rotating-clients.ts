/**
 * One client per API key; a call that fails with a quota error is retried with the next key, and
 * that key stays current for later calls. When every key is over its quota the last error is thrown.
 */
export class RotatingClients<Client> {
  readonly #clients: readonly Client[];
  readonly #isQuotaError: (error: unknown) => boolean;
  #current = 0;

  constructor(clients: readonly Client[], isQuotaError: (error: unknown) => boolean) {
    if (clients.length === 0) throw new Error('RotatingClients needs at least one client');
    this.#clients = clients;
    this.#isQuotaError = isQuotaError;
  }

  get size(): number {
    return this.#clients.length;
  }

  async run<T>(call: (client: Client) => Promise<T>): Promise<T> {
    let lastError: unknown;
    for (let attempt = 0; attempt < this.#clients.length; attempt += 1) {
      const index = this.#current;
      try {
        return await call(this.#clients[index] as Client);
      } catch (error) {
        if (!this.#isQuotaError(error)) throw error;
        lastError = error;
        // Concurrent calls may have rotated already: move on from the key that failed only.
        if (this.#current === index) this.#current = (index + 1) % this.#clients.length;
      }
    }
    throw new QuotaExhaustedError(this.#clients.length, lastError);
  }
}

/** Every key answered with a quota error. */
export class QuotaExhaustedError extends Error {
  override name = 'QuotaExhaustedError';
  constructor(keys: number, cause: unknown) {
    super(`${keys === 1 ? 'the API key is' : `all ${keys} API keys are`} over quota (429)`, { cause });
  }
}
