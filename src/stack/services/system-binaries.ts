import { findNginx, findRedisServer as lookUpRedisServer, installAdvice, requirement, type Lookup } from '../../../scripts/system-requirements.mjs';

/** redis-server ≥ 7 (the shared lookup of scripts/system-requirements.mjs), or an error saying how to install it. */
export function findRedisServer(lookup: Lookup): string {
  const redis = lookUpRedisServer(lookup);
  if (!redis.ok) throw new Error(`${redis.problem}; ${installAdvice(requirement('redis'))}`);
  return redis.binary;
}

/** nginx, or null when it is not installed (optional: the gateway is then the entry point). */
export function findNginxBinary(lookup: Lookup): string | null {
  const nginx = findNginx(lookup);
  return nginx.ok ? nginx.binary : null;
}
