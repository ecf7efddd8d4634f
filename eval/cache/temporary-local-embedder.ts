// TEMPORARY: stands in for `loadEmbedder(config, log)` (src/embed/load-embedder.ts, being written
// in parallel) until it lands; then the eval command calls that instead and this file goes.
import { env, pipeline } from '@huggingface/transformers';
import type { Config } from '../../src/config/config.js';
import type { Embedder } from '../../src/embed/embedder.js';

const MODEL = 'sentence-transformers/all-MiniLM-L6-v2';
/** Where the model files were put for development. */
const DEVELOPMENT_MODEL_DIR = '/tmp/models';

/** all-MiniLM-L6-v2 (int8 ONNX) in process, from DISTRAG_EMBED_MODEL_DIR or /tmp/models; never downloads. */
export async function loadTemporaryLocalEmbedder(config: Config): Promise<Embedder> {
  env.allowRemoteModels = false;
  env.localModelPath = config.DISTRAG_EMBED_MODEL_DIR ?? DEVELOPMENT_MODEL_DIR;
  const extract = await pipeline('feature-extraction', MODEL, { dtype: 'int8' });
  const dimensions = 384;
  return {
    id: `local:${MODEL}:int8:mean:normalized`,
    dimensions,
    async embed(texts) {
      if (texts.length === 0) return [];
      const output = await extract([...texts], { pooling: 'mean', normalize: true });
      const data = output.data as Float32Array;
      return texts.map((_, i) => data.slice(i * dimensions, (i + 1) * dimensions));
    },
    close: () => extract.dispose(),
  };
}
