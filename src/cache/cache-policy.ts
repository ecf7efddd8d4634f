import type { Redis } from 'ioredis';
import type { Config } from '../config/config.js';
import { badInput } from '../errors/safe-error.js';
import { cacheKeys } from './cache-keys.js';

/** How one tenant's cache behaves. Defaults come from DISTRAG_CACHE_*; `setCachePolicy` overrides per tenant. */
export interface CachePolicy {
  threshold: number;
  maxEntries: number;
  /** 0: entries do not expire. */
  ttlSeconds: number;
  rebind: boolean;
  literalGuard: boolean;
}

export type CachePolicyChange = Partial<CachePolicy>;

export function defaultPolicy(config: Config): CachePolicy {
  return {
    threshold: config.DISTRAG_CACHE_THRESHOLD,
    maxEntries: config.DISTRAG_CACHE_MAX_ENTRIES,
    ttlSeconds: config.DISTRAG_CACHE_TTL,
    rebind: config.DISTRAG_CACHE_REBIND,
    literalGuard: config.DISTRAG_CACHE_LITERAL_GUARD,
  };
}

/** Refuses out-of-range values with BAD_USER_INPUT, naming each. */
export function validatePolicyChange(change: CachePolicyChange): CachePolicyChange {
  const problems: string[] = [];
  if (change.threshold !== undefined && !(change.threshold >= 0.5 && change.threshold <= 1)) problems.push('threshold must be between 0.5 and 1');
  if (change.maxEntries !== undefined && !(Number.isInteger(change.maxEntries) && change.maxEntries >= 1 && change.maxEntries <= 10_000_000)) problems.push('maxEntries must be an integer from 1 to 10000000');
  if (change.ttlSeconds !== undefined && !(Number.isInteger(change.ttlSeconds) && change.ttlSeconds >= 0 && change.ttlSeconds <= 365 * 86_400)) problems.push('ttlSeconds must be an integer from 0 (no expiry) to 31536000');
  if (problems.length > 0) throw badInput(`invalid cache policy: ${problems.join('; ')}`);
  return Object.fromEntries(Object.entries(change).filter(([, v]) => v !== undefined && v !== null)) as CachePolicyChange;
}

/** Per-scope overrides kept in Redis, merged over the defaults. */
export class PolicyStore {
  private overrides = new Map<string, CachePolicyChange>();

  constructor(private readonly redis: Redis, private readonly defaults: CachePolicy) {}

  /** Reads every override (at start, and when another process changed one). */
  async load(): Promise<void> {
    const all = await this.redis.hgetall(cacheKeys.policies);
    this.overrides = new Map(Object.entries(all).map(([scope, json]) => [scope, JSON.parse(json) as CachePolicyChange]));
  }

  policyFor(scope: string): CachePolicy {
    return { ...this.defaults, ...this.overrides.get(scope) };
  }

  async set(scope: string, change: CachePolicyChange): Promise<CachePolicy> {
    const merged = { ...this.overrides.get(scope), ...validatePolicyChange(change) };
    await this.redis.hset(cacheKeys.policies, scope, JSON.stringify(merged));
    this.overrides.set(scope, merged);
    return this.policyFor(scope);
  }
}
