import type { StackInfo } from '../stack/stack-info.js';

export type BackupTarget = Pick<StackInfo['nodes'][number], 'name' | 'host' | 'port'>;

/** A node's short name: `status` names the processes `postgres-coordinator`, `postgres-worker-1`; both forms are accepted. */
export function shortNodeName(name: string): string {
  return name.startsWith('postgres-') ? name.slice('postgres-'.length) : name;
}

/** The running stack's data nodes to back up: all of them (coordinator first), or the one named; an unknown name throws. */
export function selectBackupTargets(nodes: StackInfo['nodes'], requested: string | undefined): BackupTarget[] {
  if (requested === undefined) return nodes.map(({ name, host, port }) => ({ name, host, port }));
  const wanted = shortNodeName(requested);
  const node = nodes.find((n) => n.name === wanted);
  if (!node) throw new Error(`unknown node "${requested}"; this stack has ${nodes.map((n) => n.name).join(', ')}`);
  return [{ name: node.name, host: node.host, port: node.port }];
}
