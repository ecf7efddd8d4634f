/**
 * Changes made to the published tokenizer files on the way into the model directory, after their
 * sha256 was checked. Each has a name, recorded in the model's manifest.
 */
export interface FileRewrite {
  name: string;
  apply(source: Uint8Array): Uint8Array;
}

/**
 * The published tokenizer.json pads and truncates every text to exactly 128 tokens (a leftover of
 * training). transformers.js 4.x pads and truncates by its own options (a batch to its longest
 * text, at tokenizer_config's model_max_length) whatever these fields say, but the Rust tokenizers
 * apply them: without both, every reader of the file cuts where sentence-transformers does.
 */
export const UNPADDED_TOKENIZER: FileRewrite = {
  name: 'tokenizer.json: padding and truncation null',
  apply: (source) => rewriteJson(source, (json) => ({ ...json, padding: null, truncation: null })),
};

/** sentence-transformers runs all-MiniLM-L6-v2 with max_seq_length 256 (the file says 512, BERT's limit). */
export const MAX_LENGTH_256: FileRewrite = {
  name: 'tokenizer_config.json: model_max_length 256',
  apply: (source) => rewriteJson(source, (json) => ({ ...json, model_max_length: 256 })),
};

function rewriteJson(source: Uint8Array, change: (json: Record<string, unknown>) => Record<string, unknown>): Uint8Array {
  const json: unknown = JSON.parse(new TextDecoder().decode(source));
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new Error('expected a JSON object');
  return new TextEncoder().encode(JSON.stringify(change(json as Record<string, unknown>)));
}
