import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchingEmbedder } from '../src/embed/batching-embedder.js';
import type { Embedder } from '../src/embed/embedder.js';
import { createLocalEmbedder, LOCAL_EMBEDDER_ID } from '../src/embed/local-embedder.js';
import { installedTestModel } from './support/local-model.js';

// The real model (installed by `installLocalModel`), run in process.

let local: Embedder;

beforeAll(async () => {
  local = await createLocalEmbedder(await installedTestModel());
});

afterAll(async () => {
  await local?.close();
});

const dot = (a: Float32Array, b: Float32Array) => a.reduce((sum, x, i) => sum + x * (b[i] as number), 0);
const maxDifference = (a: Float32Array, b: Float32Array) => a.reduce((max, x, i) => Math.max(max, Math.abs(x - (b[i] as number))), 0);

/** The local embedder with a count of the calls and texts that reach it. */
function counted(inner: Embedder) {
  const calls: string[][] = [];
  const embedder: Embedder = { id: inner.id, dimensions: inner.dimensions, embed: (texts) => (calls.push([...texts]), inner.embed(texts)), close: async () => {} };
  return { embedder, calls };
}

describe('local embedder (all-MiniLM-L6-v2, int8)', () => {
  it('gives 384-dimensional unit vectors under a stable id', async () => {
    expect(local.id).toBe(LOCAL_EMBEDDER_ID);
    expect(local.dimensions).toBe(384);
    const [vector] = await local.embed(['How many singers do we have?']);
    expect(vector).toBeInstanceOf(Float32Array);
    expect(vector?.length).toBe(384);
    expect(Math.hypot(...(vector as Float32Array))).toBeCloseTo(1, 5);
  });

  it('scores a paraphrase clearly above an unrelated question', async () => {
    const [question, paraphrase, unrelated] = (await local.embed(['How many singers do we have?', 'What is the total number of singers?', 'Which courses does the physics department offer this term?'])) as [Float32Array, Float32Array, Float32Array];
    const paraphraseScore = dot(question, paraphrase);
    const unrelatedScore = dot(question, unrelated);
    expect(paraphraseScore).toBeGreaterThan(0.7);
    expect(unrelatedScore).toBeLessThan(0.4);
  });

  it('embeds a batch of texts of different lengths as it embeds each alone', async () => {
    const texts = ['singers', 'How many singers do we have?', 'List the names of all students enrolled in more than three courses in the autumn term, ordered by their last name.', ''];
    const batch = await local.embed(texts);
    for (const [i, text] of texts.entries()) {
      const [single] = await local.embed([text]);
      expect(maxDifference(batch[i] as Float32Array, single as Float32Array), JSON.stringify(text)).toBeLessThan(1e-5);
    }
  });

  it('reads up to 256 tokens and no further, as sentence-transformers runs the model', async () => {
    const sentence = 'the cat sat on the mat'; // 6 tokens
    const tail = ' and finally a question about the enrollment of students in chemistry';
    const tokens146 = Array.from({ length: 24 }, () => sentence).join(' '); // with [CLS] and [SEP]
    const tokens302 = Array.from({ length: 50 }, () => sentence).join(' ');
    const [short, shortWithTail, long, longWithTail] = (await local.embed([tokens146, tokens146 + tail, tokens302, tokens302 + tail])) as Float32Array[];
    expect(maxDifference(short as Float32Array, shortWithTail as Float32Array)).toBeGreaterThan(1e-3);
    // Both cut at 256 tokens (tokenizer_config.json's model_max_length, 512 as published).
    expect(maxDifference(long as Float32Array, longWithTail as Float32Array)).toBe(0);
  });
});

describe('batching and LRU around the local embedder', () => {
  it('embeds texts asked for in the same tick in one call, each text once, equal to single results', async () => {
    const { embedder, calls } = counted(local);
    const batching = new BatchingEmbedder(embedder, { cacheSize: 100 });
    const texts = ['How many singers do we have?', 'What is the total number of singers?', 'How many singers do we have?', 'List all courses'];
    const vectors = await Promise.all(texts.map((text) => batching.embedOne(text)));
    expect(calls).toEqual([['How many singers do we have?', 'What is the total number of singers?', 'List all courses']]);
    for (const [i, text] of texts.entries()) {
      const [single] = await local.embed([text]);
      expect(maxDifference(vectors[i] as Float32Array, single as Float32Array)).toBeLessThan(1e-5);
    }
    expect(batching.stats()).toMatchObject({ requests: 4, cacheHits: 0, coalesced: 1, embedded: 3, batches: 1 });
  });

  it('answers a repeated text from the LRU without running the model, and evicts the least recently used', async () => {
    const { embedder, calls } = counted(local);
    const batching = new BatchingEmbedder(embedder, { cacheSize: 2 });
    const first = await batching.embedOne('How many singers do we have?');
    const again = await batching.embedOne('How many singers do we have?');
    expect(calls).toHaveLength(1);
    expect(Array.from(again)).toEqual(Array.from(first));
    expect(again).not.toBe(first); // each caller gets its own copy
    expect(batching.stats()).toMatchObject({ requests: 2, cacheHits: 1, embedded: 1, cacheHitRate: 0.5 });

    await batching.embedOne('second question');
    await batching.embedOne('third question'); // the first is now the least recently used: evicted
    await batching.embedOne('How many singers do we have?');
    expect(calls.map((c) => c[0])).toEqual(['How many singers do we have?', 'second question', 'third question', 'How many singers do we have?']);
  });

  it('while a batch runs, texts asked for meanwhile wait and go together in the next one', async () => {
    const calls: string[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let started!: () => void;
    const firstStarted = new Promise<void>((resolve) => (started = resolve));
    const gated: Embedder = {
      id: local.id,
      dimensions: local.dimensions,
      embed: async (texts) => {
        calls.push([...texts]);
        if (calls.length === 1) {
          started();
          await gate;
        }
        return local.embed(texts);
      },
      close: async () => {},
    };
    const batching = new BatchingEmbedder(gated, { cacheSize: 0 });
    const first = batching.embedOne('first');
    await firstStarted;
    const later = ['second', 'third', 'fourth'].map((text) => batching.embedOne(text));
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls).toEqual([['first']]); // the next batch waits for the running one
    release();
    await Promise.all([first, ...later]);
    expect(calls).toEqual([['first'], ['second', 'third', 'fourth']]);
  });

  it('close() refuses new texts and lets the running batch finish before closing the model', async () => {
    let embedding = 0;
    let closedWhileEmbedding: boolean | null = null;
    const watched: Embedder = {
      id: local.id,
      dimensions: local.dimensions,
      embed: async (texts) => {
        embedding += 1;
        try {
          return await local.embed(texts);
        } finally {
          embedding -= 1;
        }
      },
      close: async () => {
        closedWhileEmbedding = embedding > 0;
      },
    };
    const batching = new BatchingEmbedder(watched, { cacheSize: 0 });
    const running = batching.embedOne('asked before close');
    await new Promise((resolve) => setImmediate(resolve)); // its batch has started
    expect(embedding).toBe(1);
    await batching.close();
    expect(closedWhileEmbedding).toBe(false);
    expect((await running).length).toBe(384);
    await expect(batching.embedOne('asked after close')).rejects.toThrow('the embedder is closed');
  });

  it('splits more texts than a batch holds into batches of at most maxBatchSize', async () => {
    const { embedder, calls } = counted(local);
    const batching = new BatchingEmbedder(embedder, { cacheSize: 0, maxBatchSize: 4 });
    const texts = Array.from({ length: 10 }, (_, i) => `question number ${i}`);
    const vectors = await batching.embed(texts);
    expect(vectors).toHaveLength(10);
    expect(calls.map((c) => c.length)).toEqual([4, 4, 2]);
    expect(calls.flat()).toEqual(texts);
  });

  it('passes a failure of the wrapped embedder to every caller of that batch, and caches nothing of it', async () => {
    let fail = true;
    const flaky: Embedder = { id: local.id, dimensions: local.dimensions, embed: (texts) => (fail ? Promise.reject(new Error('model crashed')) : local.embed(texts)), close: async () => {} };
    const batching = new BatchingEmbedder(flaky, { cacheSize: 10 });
    const results = await Promise.allSettled([batching.embedOne('a'), batching.embedOne('b')]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    expect((await batching.embedOne('a')).length).toBe(384);
    expect(batching.stats().cacheHits).toBe(0);
  });
});
