import { IDENTITY_HEADER, signForwardedIdentity } from '../auth/forwarded-identity.js';
import type { BackupRecord } from '../backup/backup-record.js';

/** The backup process's API as the recovery process calls it (admin identity signed with the internal secret). */
export class BackupApi {
  constructor(private readonly baseUrl: string, private readonly internalSecret: string) {}

  hold(node: string): Promise<unknown> {
    return this.post(node, 'hold', {}, 30_000);
  }

  release(node: string, newTimeline: boolean): Promise<unknown> {
    return this.post(node, 'release', { newTimeline }, 30_000);
  }

  backup(node: string): Promise<BackupRecord> {
    return this.post(node, 'backup', {}, 30 * 60_000) as Promise<BackupRecord>;
  }

  async reachable(): Promise<boolean> {
    return fetch(`${this.baseUrl}/healthz`, { signal: AbortSignal.timeout(2_000) }).then((r) => r.ok, () => false);
  }

  private async post(node: string, action: string, body: unknown, timeoutMs: number): Promise<unknown> {
    const identity = signForwardedIdentity(this.internalSecret, { sub: 'distrag-recovery', role: 'admin', tenant: null }).value;
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}/backup/nodes/${encodeURIComponent(node)}/${action}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [IDENTITY_HEADER]: identity },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw new BackupApiError(`the backup process at ${this.baseUrl} did not answer (${(error as Error).message})`, 503);
    }
    const payload = (await response.json().catch(() => ({}))) as { error?: { message?: string } };
    if (!response.ok) throw new BackupApiError(payload.error?.message ?? `the backup process answered HTTP ${response.status}`, response.status);
    return payload;
  }
}

export class BackupApiError extends Error {
  override name = 'BackupApiError';
  constructor(message: string, readonly status: number) {
    super(message);
  }
}
