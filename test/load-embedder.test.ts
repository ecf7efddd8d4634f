import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config.js';
import { LOCAL_EMBEDDER_ID } from '../src/embed/local-embedder.js';
import { loadEmbedder } from '../src/embed/load-embedder.js';
import { createLogger } from '../src/log/logger.js';
import { installedTestModel } from './support/local-model.js';

const log = createLogger('load-embedder-test', 'silent');

describe('loadEmbedder', () => {
  it('loads the installed local model behind batching and the LRU, proven by a probe', async () => {
    const root = await installedTestModel();
    const state = await loadEmbedder(loadConfig({ DISTRAG_EMBED_MODEL_DIR: root }), log);
    expect(state.enabled, state.enabled ? '' : state.reason).toBe(true);
    if (!state.enabled) return;
    try {
      expect(state.embedder.id).toBe(LOCAL_EMBEDDER_ID);
      expect(state.embedder.dimensions).toBe(384);
      expect(state.embedder.stats()).toMatchObject({ requests: 1, embedded: 1, batches: 1 });
      const vector = await state.embedder.embedOne('How many singers do we have?');
      expect(Math.hypot(...vector)).toBeCloseTo(1, 5);
    } finally {
      await state.embedder.close();
    }
  });

  it('without the local model: disabled, saying where it was looked for and to run `models install`', async () => {
    const root = path.join(os.tmpdir(), `distrag-no-model-${process.pid}`);
    const state = await loadEmbedder(loadConfig({ DISTRAG_EMBED_MODEL_DIR: root }), log);
    expect(state).toEqual({ enabled: false, reason: `the local embedding model is not installed in ${root}: run \`npx distrag models install\`` });
  });

  it('DISTRAG_EMBEDDER=none: disabled, saying so', async () => {
    expect(await loadEmbedder(loadConfig({ DISTRAG_EMBEDDER: 'none' }), log)).toEqual({ enabled: false, reason: 'DISTRAG_EMBEDDER=none' });
  });
});

describe('where the local model is looked for (Config.embedModelDir)', () => {
  it('DISTRAG_EMBED_MODEL_DIR, else $XDG_CACHE_HOME/distrag/models, else ~/.cache/distrag/models', () => {
    expect(loadConfig({ DISTRAG_EMBED_MODEL_DIR: '/srv/models', XDG_CACHE_HOME: '/xdg' }).embedModelDir).toBe('/srv/models');
    expect(loadConfig({ XDG_CACHE_HOME: '/xdg' }).embedModelDir).toBe('/xdg/distrag/models');
    expect(loadConfig({}).embedModelDir).toBe(path.join(os.homedir(), '.cache', 'distrag', 'models'));
  });
});
