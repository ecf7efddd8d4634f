import { spawn } from 'node:child_process';
import path from 'node:path';

/** A PostgreSQL client tool that failed; the message carries its most telling error line. */
export class PgToolError extends Error {
  override name = 'PgToolError';
}

/**
 * Runs one PostgreSQL client tool (pg_basebackup, pg_verifybackup, pg_waldump, pg_controldata …)
 * without blocking the event loop, so a long backup does not stall a daemon's other work.
 * Resolves with its stdout; a non-zero exit rejects with the tool's first error line.
 */
export function runPgTool(binDir: string, tool: string, args: string[], options: { password?: string; uid?: number; gid?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(binDir, tool), args, {
      env: { ...process.env, ...(options.password !== undefined ? { PGPASSWORD: options.password } : {}), PGCONNECT_TIMEOUT: '10', LC_ALL: 'C' },
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(options.uid !== undefined ? { uid: options.uid, gid: options.gid } : {}),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.once('error', (error) => reject(new PgToolError(`${tool} could not run: ${error.message}`, { cause: error })));
    child.once('close', (code) => {
      if (code === 0) return resolve(stdout);
      const lines = `${stderr}\n${stdout}`.split('\n').map((l) => l.trim()).filter(Boolean);
      const line = lines.find((l) => /error|fatal/i.test(l)) ?? lines[lines.length - 1] ?? `exit code ${code}`;
      reject(new PgToolError(`${tool} failed: ${line}`));
    });
  });
}
