import type { Config } from '../config/config.js';
import type { Logger } from '../log/logger.js';
import { BatchingEmbedder } from './batching-embedder.js';
import { describeEmbedderError } from './describe-embedder-error.js';
import type { Embedder, EmbedderState } from './embedder.js';
import { createGeminiEmbedder, DEFAULT_GEMINI_EMBED_MODEL, parseGeminiApiKeys } from './gemini-embedder.js';
import { createLocalEmbedder, LocalModelUnavailableError } from './local-embedder.js';
import { createOpenAiEmbedder } from './openai-embedder.js';

/** How long one call to a remote embedding API may take. */
const REMOTE_TIMEOUT_MS = 30_000;
/** Remote APIs answer batches in parallel; a local model already uses every core for one. */
const REMOTE_CONCURRENT_BATCHES = 4;
const PROBE_TEXT = 'How many students are enrolled in each course?';

type Built = { embedder: Embedder; concurrentBatches: number } | { reason: string };

/**
 * The embedder DISTRAG_EMBEDDER names, wrapped in batching and an LRU, once it has embedded a
 * probe text; otherwise why the semantic cache is disabled, in words a user can act on. Never
 * falls back to another embedder: vectors of different models are not comparable.
 */
export async function loadEmbedder(config: Config, log: Logger): Promise<EmbedderState<BatchingEmbedder>> {
  const started = performance.now();
  const built = await buildConfigured(config);
  if ('reason' in built) return disabled(log, config, built.reason);
  const embedder = new BatchingEmbedder(built.embedder, { cacheSize: config.DISTRAG_EMBED_LRU_SIZE, maxConcurrentBatches: built.concurrentBatches });
  try {
    const probe = await embedder.embedOne(PROBE_TEXT);
    const length = Math.hypot(...probe);
    if (probe.length !== embedder.dimensions || Math.abs(length - 1) > 1e-3) throw new Error(`the probe text gave a vector of ${probe.length} dimensions and length ${length.toFixed(4)}, not ${embedder.dimensions} and 1`);
  } catch (error) {
    await embedder.close().catch(() => {});
    const source = config.DISTRAG_EMBEDDER === 'openai' ? `openai (${config.DISTRAG_EMBED_BASE_URL})` : config.DISTRAG_EMBEDDER;
    return disabled(log, config, `${source}: ${describeEmbedderError(error)}`);
  }
  log.info({ embedder: embedder.id, dimensions: embedder.dimensions, ms: Math.round(performance.now() - started) }, 'embedder ready');
  return { enabled: true, embedder };
}

async function buildConfigured(config: Config): Promise<Built> {
  switch (config.DISTRAG_EMBEDDER) {
    case 'none':
      return { reason: 'DISTRAG_EMBEDDER=none' };
    case 'local':
      try {
        return { embedder: await createLocalEmbedder(config.embedModelDir), concurrentBatches: 1 };
      } catch (error) {
        if (!(error instanceof LocalModelUnavailableError)) return { reason: `local: ${describeEmbedderError(error)}` };
        if (error.check.state === 'missing') return { reason: `the local embedding model is not installed in ${config.embedModelDir}: run \`npx distrag models install\`` };
        return { reason: `the local embedding model in ${config.embedModelDir} cannot be used (${error.check.problem}): run \`npx distrag models install\` to reinstall it` };
      }
    case 'gemini': {
      const apiKeys = parseGeminiApiKeys(config.GEMINI_API_KEY ?? '');
      if (apiKeys.length === 0) return { reason: 'DISTRAG_EMBEDDER=gemini needs GEMINI_API_KEY (one key, or several comma-separated)' };
      try {
        const embedder = await createGeminiEmbedder({
          apiKeys,
          model: config.DISTRAG_EMBED_MODEL ?? DEFAULT_GEMINI_EMBED_MODEL,
          timeoutMs: REMOTE_TIMEOUT_MS,
          ...(config.DISTRAG_EMBED_DIMENSIONS === undefined ? {} : { dimensions: config.DISTRAG_EMBED_DIMENSIONS }),
          ...(config.DISTRAG_EMBED_BASE_URL === undefined ? {} : { baseUrl: config.DISTRAG_EMBED_BASE_URL }),
        });
        return { embedder, concurrentBatches: REMOTE_CONCURRENT_BATCHES };
      } catch (error) {
        return { reason: `gemini: ${describeEmbedderError(error)}` };
      }
    }
    case 'openai': {
      const baseUrl = config.DISTRAG_EMBED_BASE_URL;
      const model = config.DISTRAG_EMBED_MODEL;
      if (baseUrl === undefined || model === undefined) return { reason: 'DISTRAG_EMBEDDER=openai needs DISTRAG_EMBED_BASE_URL and DISTRAG_EMBED_MODEL' };
      try {
        const embedder = await createOpenAiEmbedder({
          baseUrl,
          model,
          timeoutMs: REMOTE_TIMEOUT_MS,
          ...(config.DISTRAG_EMBED_API_KEY === undefined ? {} : { apiKey: config.DISTRAG_EMBED_API_KEY }),
          ...(config.DISTRAG_EMBED_DIMENSIONS === undefined ? {} : { dimensions: config.DISTRAG_EMBED_DIMENSIONS }),
        });
        return { embedder, concurrentBatches: REMOTE_CONCURRENT_BATCHES };
      } catch (error) {
        return { reason: `openai (${baseUrl}): ${describeEmbedderError(error)}` };
      }
    }
  }
}

function disabled(log: Logger, config: Config, reason: string): EmbedderState<BatchingEmbedder> {
  log.warn({ embedder: config.DISTRAG_EMBEDDER, reason }, 'semantic cache disabled: no embedder');
  return { enabled: false, reason };
}
