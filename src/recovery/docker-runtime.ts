import type { Config } from '../config/config.js';
import type { ServiceRuntime, WatchedService } from './service-runtime.js';

/** Compose's runtime, through the Docker API (filled in by the compose work). */
export class DockerRuntime implements ServiceRuntime {
  readonly kind = 'docker' as const;
  readonly startWorker = null;

  constructor(private readonly config: Config) {}

  async services(): Promise<WatchedService[]> {
    void this.config;
    return [];
  }

  async restart(name: string): Promise<void> {
    throw new Error(`cannot restart ${name}: the docker runtime is not available yet`);
  }

  async stop(name: string): Promise<void> {
    throw new Error(`cannot stop ${name}: the docker runtime is not available yet`);
  }

  async kill(name: string): Promise<void> {
    throw new Error(`cannot kill ${name}: the docker runtime is not available yet`);
  }

  dataDir(): string | null {
    return null;
  }
}
