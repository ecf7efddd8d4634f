import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { LOCAL_MODEL_NAME, localModelPaths, MANIFEST_FILE } from './model-location.js';
import { MINILM_INT8_PINS, type ModelPins } from './model-pins.js';
import { sha256File } from './sha256.js';

const manifestSchema = z.object({
  format: z.literal(1),
  model: z.string(),
  installedAt: z.string(),
  wheels: z.array(z.object({ package: z.string(), version: z.string(), file: z.string(), sha256: z.string() })),
  files: z.array(
    z.object({
      path: z.string(),
      /** sha256 of the file as written (after its rewrite). */
      sha256: z.string(),
      source: z.object({ wheel: z.string(), member: z.string(), sha256: z.string() }),
      rewrite: z.string().nullable(),
    }),
  ),
});

/** `distrag-model.json`: the packages the model came from and the sha256 of every file written. */
export type ModelManifest = z.infer<typeof manifestSchema>;

/** What an installed model directory holds: a model to use, or why not. */
export type ModelCheck = { state: 'installed'; manifest: ModelManifest } | { state: 'missing'; problem: string } | { state: 'invalid'; problem: string };

/** The manifest of a model installed from these pins, its files written with these sha256s (by path). */
export function manifestFor(pins: ModelPins, writtenSha256: ReadonlyMap<string, string>, installedAt: Date): ModelManifest {
  return {
    format: 1,
    model: LOCAL_MODEL_NAME,
    installedAt: installedAt.toISOString(),
    wheels: pins.wheels.map((w) => ({ ...w })),
    files: pins.files.map((f) => {
      const sha256 = writtenSha256.get(f.path);
      if (sha256 === undefined) throw new Error(`no sha256 recorded for ${f.path}`);
      return { path: f.path, sha256, source: { wheel: f.wheel, member: f.member, sha256: f.sha256 }, rewrite: f.rewrite?.name ?? null };
    }),
  };
}

/**
 * Checks the model under `root` against its manifest and the manifest against the pins: every
 * file present with the sha256 it was written with, from the packages these pins name.
 */
export async function checkInstalledModel(root: string, pins: ModelPins = MINILM_INT8_PINS): Promise<ModelCheck> {
  const { modelDir, manifest: manifestPath } = localModelPaths(root);
  let text: string;
  try {
    text = await fs.readFile(manifestPath, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') return { state: 'invalid', problem: `cannot read ${manifestPath} (${code ?? String(error)})` };
    const dirExists = await fs.stat(modelDir).then(() => true, () => false);
    return dirExists
      ? { state: 'invalid', problem: `${modelDir} has no ${MANIFEST_FILE} (not written by \`models install\`)` }
      : { state: 'missing', problem: `the local embedding model is not installed in ${root}` };
  }
  let manifest: ModelManifest;
  try {
    manifest = manifestSchema.parse(JSON.parse(text));
  } catch {
    return { state: 'invalid', problem: `${manifestPath} is not a valid manifest` };
  }
  const pinned = describePins(pins);
  const recorded = describePins({ wheels: manifest.wheels, files: manifest.files.map((f) => ({ path: f.path, wheel: f.source.wheel, member: f.source.member, sha256: f.source.sha256, rewrite: f.rewrite === null ? null : { name: f.rewrite } })) });
  if (recorded !== pinned) return { state: 'invalid', problem: `it was installed from ${packageList(manifest.wheels)}, not the pinned ${packageList(pins.wheels)}` };
  for (const file of manifest.files) {
    const full = path.join(modelDir, file.path);
    let actual: string;
    try {
      actual = await sha256File(full);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      return { state: 'invalid', problem: code === 'ENOENT' ? `${full} is missing` : `cannot read ${full} (${code ?? String(error)})` };
    }
    if (actual !== file.sha256) return { state: 'invalid', problem: `${full} has sha256 ${actual}, the manifest says ${file.sha256}` };
  }
  return { state: 'installed', manifest };
}

/** The pins' identity, comparable as a string: packages, sources and rewrites (not code). */
function describePins(pins: { wheels: readonly { package: string; version: string; sha256: string }[]; files: readonly { path: string; wheel: string; member: string; sha256: string; rewrite: { name: string } | null }[] }): string {
  return JSON.stringify([pins.wheels.map((w) => [w.package, w.version, w.sha256]), pins.files.map((f) => [f.path, f.wheel, f.member, f.sha256, f.rewrite?.name ?? null])]);
}

function packageList(wheels: readonly { package: string; version: string }[]): string {
  return wheels.map((w) => `${w.package}==${w.version}`).join(', ');
}
