import type { SupergraphSdlHook } from '@apollo/gateway';
import type { Logger } from 'pino';
import { sdlVersion } from '../../src/service/subgraph-schema.js';
import { composeSupergraph, fetchSubgraphSdl, SubgraphUnreachableError } from './compose-supergraph.js';
import type { SubgraphEndpoint } from './subgraph-list.js';

interface Composition {
  supergraphSdl: string;
  /** Each subgraph's SDL version (SHA-256) the supergraph was composed from. */
  versions: Map<string, string>;
}

/**
 * The gateway's `supergraphSdl` hook: composes from the subgraphs' SDLs at start-up (retrying
 * while they come up) and keeps the `update` callback so `recompose()` can switch the gateway to
 * a new supergraph live. Recompositions are serialised; a failed one keeps the current supergraph.
 */
export class SupergraphSource {
  private update: ((sdl: string) => void) | null = null;
  private current: Composition | null = null;
  private queue: Promise<boolean> = Promise.resolve(true);

  constructor(
    private readonly subgraphs: SubgraphEndpoint[],
    private readonly headers: () => Record<string, string>,
    private readonly log: Logger,
    private readonly startupDeadlineMs = 20_000,
  ) {}

  readonly hook: SupergraphSdlHook = async ({ update }) => {
    this.update = update;
    this.current = await this.composeWithRetry();
    return { supergraphSdl: this.current.supergraphSdl, cleanup: async () => void (this.update = null) };
  };

  get loaded(): boolean {
    return this.current !== null;
  }

  /** The version of a subgraph's SDL in the supergraph being served. */
  versionOf(subgraph: string): string | undefined {
    return this.current?.versions.get(subgraph);
  }

  /**
   * Re-fetches every SDL and hands a changed supergraph to the gateway. Resolves true when the
   * gateway now serves the subgraphs' current SDLs, false when fetching or composing failed.
   */
  recompose(): Promise<boolean> {
    this.queue = this.queue.then(async () => {
      try {
        const next = await this.compose();
        if (this.update && next.supergraphSdl !== this.current?.supergraphSdl) {
          this.update(next.supergraphSdl);
          this.log.info({ subgraphs: Object.fromEntries([...next.versions].map(([k, v]) => [k, v.slice(0, 12)])) }, 'supergraph recomposed');
        }
        this.current = next;
        return true;
      } catch (error) {
        this.log.error({ err: error }, 'supergraph recomposition failed; still serving the previous supergraph');
        return false;
      }
    });
    return this.queue;
  }

  private async compose(): Promise<Composition> {
    const headers = this.headers();
    const withSdl = await Promise.all(this.subgraphs.map(async (s) => ({ ...s, sdl: await fetchSubgraphSdl(s, headers) })));
    return {
      supergraphSdl: composeSupergraph(withSdl),
      versions: new Map(withSdl.map((s) => [s.name, sdlVersion(s.sdl)])),
    };
  }

  private async composeWithRetry(): Promise<Composition> {
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
