import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Embedder } from '../src/embed/embedder.js';
import { createLocalEmbedder } from '../src/embed/local-embedder.js';
import { createLogger } from '../src/log/logger.js';
import { ExampleStore } from '../subgraphs/rag/examples/example-store.js';
import { chromaClient } from '../subgraphs/rag/retrieve/chroma-collection.js';
import { installedTestModel } from './support/local-model.js';

// The test stack's real Chroma and the real local embedding model.

let embedder: Embedder;
let store: ExampleStore;

const GLOBAL = { question: 'How many students are there?', sql: 'SELECT count(*) FROM students', tenant: null, source: 'admin' } as const;
const TENANT_1 = { question: 'How many courses does each department offer?', sql: 'SELECT department_id, count(*) FROM courses GROUP BY 1', tenant: '1', source: 'user' } as const;
const TENANT_2 = { question: 'How many students does each department have?', sql: 'SELECT department_id, count(*) FROM students GROUP BY 1', tenant: '2', source: 'user' } as const;

beforeAll(async () => {
  embedder = await createLocalEmbedder(await installedTestModel());
  store = new ExampleStore({ chromaUrl: inject('stack').info.urls.chroma, embedder, log: createLogger('test', 'silent'), namespace: `t${randomBytes(4).toString('hex')}_` });
  for (const example of [GLOBAL, TENANT_1, TENANT_2]) await store.add(example);
});

afterAll(async () => {
  if (store) await chromaClient(inject('stack').info.urls.chroma).deleteCollection({ name: store.collectionName }).catch(() => undefined);
  await embedder?.close();
});

describe('ExampleStore', () => {
  it('finds the closest examples a tenant may see: the global ones and its own', async () => {
    const forOne = await store.similar('What is the number of students per department?', { tenant: '1', k: 5 });
    expect(forOne.map((e) => e.question).sort()).toEqual([GLOBAL.question, TENANT_1.question].sort());
    expect(forOne[0]!.similarity).toBeGreaterThanOrEqual(forOne[1]!.similarity);
    expect(forOne.find((e) => e.tenant === '1')).toMatchObject({ sql: TENANT_1.sql, source: 'user' });
    expect(forOne.find((e) => e.tenant === null)).toMatchObject({ sql: GLOBAL.sql, source: 'admin' });

    // Tenant 2's own example is the closest to this question, for tenant 2 only.
    const forTwo = await store.similar('What is the number of students per department?', { tenant: '2', k: 1 });
    expect(forTwo).toMatchObject([{ question: TENANT_2.question, sql: TENANT_2.sql, tenant: '2' }]);
    expect(forTwo[0]!.similarity).toBeGreaterThan(0.7);
    expect(forTwo[0]!.similarity).toBeLessThanOrEqual(1.0001);

    const noTenant = await store.similar('How many students does each department have?', { tenant: null, k: 5 });
    expect(noTenant.map((e) => e.question)).toEqual([GLOBAL.question]);
    expect(await store.similar('anything', { tenant: '3', k: 0 })).toEqual([]);
  });

  it('stores an identical question, SQL and tenant once, and another tenant\'s copy apart', async () => {
    const first = await store.add({ ...TENANT_1, question: `  ${TENANT_1.question} ` });
    const again = await store.add(TENANT_1);
    expect(again.id).toBe(first.id);
    expect((await store.list({ tenant: '1', ownOnly: true })).map((e) => e.id)).toEqual([first.id]);
    const copy = await store.add({ ...TENANT_1, tenant: '3' });
    expect(copy.id).not.toBe(first.id);
    expect((await store.list({ tenant: '3' })).map((e) => e.question).sort()).toEqual([GLOBAL.question, TENANT_1.question].sort());
    expect((await store.list({ tenant: null })).map((e) => e.question)).toEqual([GLOBAL.question]);
    await expect(store.add({ ...GLOBAL, sql: '  ' })).rejects.toThrow(/needs a question and its SQL/);
  });

  it('removes an example by id', async () => {
    const { id } = await store.add({ question: 'List every course title.', sql: 'SELECT title FROM courses', tenant: '4', source: 'user' });
    expect((await store.list({ tenant: '4', ownOnly: true })).map((e) => e.id)).toEqual([id]);
    expect(await store.remove(id)).toBe(true);
    expect(await store.remove(id)).toBe(false);
    expect(await store.list({ tenant: '4', ownOnly: true })).toEqual([]);
  });
});
