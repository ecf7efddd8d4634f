import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import type { Config } from '../config/config.js';

export interface StackSecrets {
  jwtSecret: string;
  internalSecret: string;
  pgPassword: string;
}

/** Dev secrets generated on first start (mode 0600); DISTRAG_JWT_SECRET / DISTRAG_INTERNAL_SECRET override. */
export function loadOrCreateSecrets(file: string, config: Config): StackSecrets {
  let stored: Partial<StackSecrets> = {};
  if (fs.existsSync(file)) stored = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<StackSecrets>;
  const secrets: StackSecrets = {
    jwtSecret: stored.jwtSecret ?? random(),
    internalSecret: stored.internalSecret ?? random(),
    pgPassword: stored.pgPassword ?? random(),
  };
  if (JSON.stringify(stored) !== JSON.stringify(secrets)) fs.writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return {
    ...secrets,
    jwtSecret: config.DISTRAG_JWT_SECRET ?? secrets.jwtSecret,
    internalSecret: config.DISTRAG_INTERNAL_SECRET ?? secrets.internalSecret,
  };
}

/** Reads the secrets of an existing stack (token, seed, status need them), or explains how to get them. */
export function readSecrets(file: string, config: Config): StackSecrets {
  if (!fs.existsSync(file)) throw new Error(`no DistRAG stack in ${file.replace(/\/secrets\.json$/, '')}; run \`npx distrag up\` first (or set DISTRAG_HOME)`);
  return loadOrCreateSecrets(file, config);
}

const random = () => randomBytes(32).toString('base64url');
