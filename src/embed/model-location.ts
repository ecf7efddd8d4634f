import path from 'node:path';

/** The model's name in the transformers.js layout: its files live in `<root>/<name>/`. */
export const LOCAL_MODEL_NAME = 'sentence-transformers/all-MiniLM-L6-v2';
/** Written last by `models install`, beside the model's files: where they came from and their sha256. */
export const MANIFEST_FILE = 'distrag-model.json';

export interface LocalModelPaths {
  /** The directory transformers.js is given as `env.localModelPath` (Config.embedModelDir). */
  root: string;
  /** `<root>/sentence-transformers/all-MiniLM-L6-v2`, the directory `models install` replaces as a whole. */
  modelDir: string;
  manifest: string;
}

export function localModelPaths(root: string): LocalModelPaths {
  const modelDir = path.join(root, ...LOCAL_MODEL_NAME.split('/'));
  return { root, modelDir, manifest: path.join(modelDir, MANIFEST_FILE) };
}
