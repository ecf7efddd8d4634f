import fs from 'node:fs';
import type { ClusterMode } from '../db/bootstrap/migrations.js';

/** What `up` publishes for `status`, `token`, `seed` and scripts. */
export interface StackInfo {
  mode: ClusterMode;
  /** The PostgreSQL nodes (the coordinator, then the Citus workers), as last checked by `up`. */
  nodes: Array<{ name: string; host: string; port: number; role: 'coordinator' | 'worker'; healthy: boolean }>;
  /** `nginx` is null when nginx is not installed (optional: clients then use the gateway URL). */
  urls: { graphql: string; nginx: string | null; console: string; postgres: string; redis: string; chroma: string };
}

export function writeStackInfo(file: string, info: StackInfo): void {
  fs.writeFileSync(file, JSON.stringify(info, null, 2), { mode: 0o600 });
}

export function readStackInfo(file: string): StackInfo | null {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as StackInfo;
  } catch {
    return null;
  }
}
