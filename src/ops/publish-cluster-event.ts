import type { Logger } from 'pino';
import type { EventBus } from '../events/event-bus.js';

/**
 * Cluster event kinds the operations publish (`clusterEvents`): NODE_ADDED, NODE_REMOVED,
 * NODE_DRAINED, REBALANCE_STARTED, REBALANCE_PROGRESS, REBALANCE_COMPLETED, REBALANCE_FAILED.
 * A drain runs the rebalancer drain-only: its REBALANCE_* events name the drained node.
 */
export type OpsEventKind = 'NODE_ADDED' | 'NODE_REMOVED' | 'NODE_DRAINED' | 'REBALANCE_STARTED' | 'REBALANCE_PROGRESS' | 'REBALANCE_COMPLETED' | 'REBALANCE_FAILED';

/** Publishes one cluster event; an unreachable bus is logged, never the operation's failure. */
export async function publishClusterEvent(bus: EventBus, log: Logger, kind: OpsEventKind, node: string | null, detail: string): Promise<void> {
  try {
    await bus.publish('cluster', { type: 'cluster', kind, node, detail, at: new Date().toISOString() });
  } catch (error) {
    log.warn({ err: error, kind, node, detail }, 'could not publish a cluster event');
  }
}
