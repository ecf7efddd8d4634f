import type { Logger } from 'pino';
import type { SubgraphEndpoint } from './subgraph-list.js';
import type { SupergraphSource } from './supergraph-source.js';

/**
 * Polls each subgraph's `/schema-version` and recomposes the supergraph when one differs from
 * the version the gateway serves, so that DDL shows in the API within about two poll intervals.
 * A version whose composition failed is not retried until it changes again. (The change-feed
 * issue replaces polling with schema events.)
 */
export class SchemaVersionWatcher {
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private readonly rejected = new Map<string, string>();

  constructor(
    private readonly subgraphs: SubgraphEndpoint[],
    private readonly headers: () => Record<string, string>,
    private readonly source: SupergraphSource,
    private readonly log: Logger,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.check(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One round: true when a recomposition ran. */
  async check(): Promise<boolean> {
    if (this.running || !this.source.loaded) return false;
    this.running = true;
    try {
      const headers = this.headers();
      const versions = await Promise.all(this.subgraphs.map(async (s) => ({ name: s.name, version: await fetchVersion(s, headers) })));
      const changed = versions.filter((v) => v.version !== null && v.version !== this.source.versionOf(v.name) && v.version !== this.rejected.get(v.name));
      if (changed.length === 0) return false;
      this.log.info({ subgraphs: changed.map((c) => c.name) }, 'subgraph schema changed; recomposing');
      const ok = await this.source.recompose();
      for (const c of changed) {
        if (ok) this.rejected.delete(c.name);
        else this.rejected.set(c.name, c.version!);
      }
      return true;
    } finally {
      this.running = false;
    }
  }
}

async function fetchVersion(subgraph: SubgraphEndpoint, headers: Record<string, string>): Promise<string | null> {
  try {
    const response = await fetch(new URL('/schema-version', subgraph.url), { headers, signal: AbortSignal.timeout(2_000) });
    if (!response.ok) return null;
    const body = (await response.json()) as { version?: unknown };
    return typeof body.version === 'string' ? body.version : null;
  } catch {
    return null; // unreachable now: readiness reports it; try again next round
  }
}
