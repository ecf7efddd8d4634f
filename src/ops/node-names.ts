import { shortNodeName } from '../backup/backup-targets.js';

/**
 * Nodes are named as the change feed and the cluster subgraph name them: `coordinator`, and
 * `worker-<groupid>` for a worker (Citus's group id, stable for the node's life in the cluster).
 */
export const COORDINATOR = 'coordinator';

export function nodeNameOf(groupid: number): string {
  return groupid === 0 ? COORDINATOR : `worker-${groupid}`;
}

/** The Citus group id a node name stands for (`postgres-worker-1` accepted too); null for anything else. */
export function groupOfNodeName(name: string): number | null {
  const short = shortNodeName(name.trim());
  if (short === COORDINATOR) return 0;
  const match = /^worker-([1-9][0-9]{0,8})$/.exec(short);
  return match ? Number(match[1]) : null;
}

/** A name that could be a node's (for listing backups of nodes that may have left): letters, digits, `-`, `_`. */
export function isPlausibleNodeName(name: string): boolean {
  return /^[a-z0-9][a-z0-9_-]{0,62}$/.test(name);
}
