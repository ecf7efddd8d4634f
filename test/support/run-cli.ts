import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { projectRoot } from '../../src/paths.js';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

const CLI = path.join(projectRoot, 'bin', 'distrag.js');
const TIMEOUT_MS = 170_000;

/** Runs the built `distrag` CLI as users do, with extra environment. */
export function runCli(args: string[], env: Record<string, string>): CliResult {
  const result = spawnSync(process.execPath, [CLI, ...args], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: TIMEOUT_MS,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/**
 * `runCli` without blocking this process: for a CLI that calls servers the test runs in this
 * process (a local LLM API), which `spawnSync` would keep from answering.
 */
export function runCliAsync(args: string[], env: Record<string, string>, timeoutMs = TIMEOUT_MS): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
