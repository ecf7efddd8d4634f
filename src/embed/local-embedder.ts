import type { Embedder } from './embedder.js';
import { LOCAL_MODEL_NAME } from './model-location.js';
import { checkInstalledModel, type ModelCheck } from './model-manifest.js';

/** Vectors of this id come from all-MiniLM-L6-v2, int8 ONNX, mean pooling, unit length. */
export const LOCAL_EMBEDDER_ID = 'local:all-MiniLM-L6-v2:int8';
const DIMENSIONS = 384;

/** The local model cannot be used: not installed, or its files are not the ones installed. */
export class LocalModelUnavailableError extends Error {
  override name = 'LocalModelUnavailableError';
  constructor(readonly check: Exclude<ModelCheck, { state: 'installed' }>) {
    super(check.problem);
  }
}

/**
 * all-MiniLM-L6-v2 in process (onnxruntime through transformers.js), from the model directory
 * `models install` wrote under `root`, and only after its files match their manifest.
 */
export async function createLocalEmbedder(root: string): Promise<Embedder> {
  const check = await checkInstalledModel(root);
  if (check.state !== 'installed') throw new LocalModelUnavailableError(check);
  // Imported here: it loads onnxruntime, which processes with a remote embedder do not need.
  const { env, pipeline } = await import('@huggingface/transformers');
  env.allowRemoteModels = false;
  env.localModelPath = root;
  const extractor = await pipeline('feature-extraction', LOCAL_MODEL_NAME, { dtype: 'int8' });
  return {
    id: LOCAL_EMBEDDER_ID,
    dimensions: DIMENSIONS,
    async embed(texts) {
      if (texts.length === 0) return [];
      const output = await extractor([...texts], { pooling: 'mean', normalize: true });
      const data = output.data;
      if (!(data instanceof Float32Array) || data.length !== texts.length * DIMENSIONS) {
        throw new Error(`the local model returned ${output.dims.join('×')} ${output.type} values for ${texts.length} texts, not ${texts.length}×${DIMENSIONS} float32`);
      }
      return texts.map((_, i) => data.slice(i * DIMENSIONS, (i + 1) * DIMENSIONS));
    },
    close: () => extractor.dispose(),
  };
}
