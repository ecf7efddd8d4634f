import path from 'node:path';
import { projectRoot } from '../../paths.js';
import type { ProcessSpec } from '../process-manager.js';
import type { RunAs } from '../service-user.js';

/**
 * One of DistRAG's own Node services, started as the CLI command containers run for it
 * (`distrag serve data`, `distrag backup --watch`, …), from the build in dist/.
 */
export function nodeServiceSpec(options: {
  name: string;
  /** The CLI arguments: `['serve', 'data']`. */
  cli: string[];
  host: string;
  port: number;
  env: Record<string, string>;
  runAs: RunAs | null;
  home: string;
}): ProcessSpec {
  return {
    name: options.name,
    command: process.execPath,
    args: ['--enable-source-maps', path.join(projectRoot, 'bin', 'distrag.js'), ...options.cli],
    cwd: projectRoot,
    env: { ...options.env, HOME: options.home, DISTRAG_SERVICE_PORT: String(options.port), DISTRAG_HOST: options.host, NODE_ENV: 'production' },
    host: options.host,
    port: options.port,
    // Ready, not merely alive: `up` returns only once every service can do its work (the change
    // feed follows every node, a subgraph reaches its store, a gateway has composed).
    health: { kind: 'http', url: `http://${options.host}:${options.port}/readyz` },
    runAs: options.runAs,
    startTimeoutMs: 45_000,
  };
}
