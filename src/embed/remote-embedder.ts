import type { Embedder } from './embedder.js';

/** Embedded once to learn how many dimensions a remote model returns. */
const DIMENSION_PROBE = 'How many rows does this table have?';

/**
 * An Embedder over a remote API's `embedAll` (unit vectors, in order): the dimensions are learnt
 * from a probe, and a later vector of another size is an error rather than a silent mismatch.
 */
export async function remoteEmbedder(provider: string, model: string, embedAll: (texts: readonly string[]) => Promise<Float32Array[]>): Promise<Embedder> {
  const [probe] = await embedAll([DIMENSION_PROBE]);
  const dimensions = probe?.length ?? 0;
  return {
    id: `${provider}:${model}:${dimensions}`,
    dimensions,
    async embed(texts) {
      const vectors = await embedAll(texts);
      const wrong = vectors.find((v) => v.length !== dimensions);
      if (wrong !== undefined) throw new Error(`${model} returned a vector of ${wrong.length} dimensions, not ${dimensions}`);
      return vectors;
    },
    close: async () => {},
  };
}
