import type { SupergraphSdlHook } from '@apollo/gateway';
import type { Logger } from 'pino';
import { composeSupergraph, fetchSubgraphSdl, SubgraphUnreachableError } from './compose-supergraph.js';
import type { SubgraphEndpoint } from './subgraph-list.js';

/**
 * The gateway's `supergraphSdl` hook: composes from the subgraphs' SDLs at start-up (retrying
 * while they come up) and keeps the `update` callback so `recompose()` can switch the gateway to
 * a new supergraph live. Recompositions are serialised.
 */
export class SupergraphSource {
  private update: ((sdl: string) => void) | null = null;
  private current: string | null = null;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly subgraphs: SubgraphEndpoint[],
    private readonly headers: () => Record<string, string>,
    private readonly log: Logger,
    private readonly startupDeadlineMs = 20_000,
  ) {}

  readonly hook: SupergraphSdlHook = async ({ update }) => {
    this.update = update;
    this.current = await this.composeWithRetry();
    return { supergraphSdl: this.current, cleanup: async () => void (this.update = null) };
  };

  get loaded(): boolean {
    return this.current !== null;
  }

  /** Re-fetches every SDL and hands a changed supergraph to the gateway. */
  recompose(): Promise<void> {
    this.queue = this.queue.then(async () => {
      const next = await this.compose();
      if (next !== this.current && this.update) {
        this.current = next;
        this.update(next);
        this.log.info('supergraph recomposed');
      }
    });
    return this.queue;
  }

  private async compose(): Promise<string> {
    const headers = this.headers();
    const withSdl = await Promise.all(this.subgraphs.map(async (s) => ({ ...s, sdl: await fetchSubgraphSdl(s, headers) })));
    return composeSupergraph(withSdl);
  }

  private async composeWithRetry(): Promise<string> {
    const deadline = Date.now() + this.startupDeadlineMs;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.compose();
      } catch (error) {
        if (!(error instanceof SubgraphUnreachableError) || Date.now() > deadline) throw error;
        this.log.warn({ attempt, reason: error.message }, 'waiting for subgraphs');
        await new Promise((r) => setTimeout(r, Math.min(2_000, 100 * 2 ** attempt)));
      }
    }
  }
}
