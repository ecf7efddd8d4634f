import type { TestProject } from 'vitest/node';
import { startPrivateStack } from '../../src/stack/private-stack.js';
import { readSecrets } from '../../src/stack/secrets.js';
import { stackLayout } from '../../src/stack/stack-layout.js';
import type { StackInfo } from '../../src/stack/stack-info.js';
import { startScriptedLlm } from './scripted-llm.js';

export interface SharedStack {
  home: string;
  info: StackInfo;
  env: Record<string, string>;
  jwtSecret: string;
  internalSecret: string;
  ports: { gateway: number; data: number; cluster: number; feed: number; redis: number };
  /** Both gateways' GraphQL URLs (NGINX balances between them). */
  gateways: string[];
  /** The control API of the scripted LLM the RAG subgraph asks (test/support/scripted-llm.ts). */
  llmControlUrl: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    stack: SharedStack;
  }
}

/**
 * One stack (PostgreSQL, Redis, Chroma, subgraphs, gateway, NGINX) on private ports in a temporary
 * directory for the whole run, started through the same process manager as `distrag up`, and
 * stopped afterwards even when tests fail.
 */
export default async function setup(project: TestProject) {
  // Two gateways behind NGINX (subscriptions are tested through it); a small subscriber buffer
  // so that the slow-client test needs few events; schema polling at its longest (10 min, longer
  // than a suite run), so that whatever the live-schema tests see served within their timeouts,
  // events did — no wall-clock bound needed.
  const llm = await startScriptedLlm();
  const stack = await startPrivateStack({
    prefix: 'distrag-test',
    gateways: 2,
    env: {
      // The RAG subgraph's LLM: a local server speaking Gemini's protocol, scripted by the tests.
      GEMINI_API_KEY: 'test-key-1,test-key-2',
      DISTRAG_GEMINI_BASE_URL: llm.llm.geminiBaseUrl,
      DISTRAG_LLM_TIMEOUT_MS: '3000',
      DISTRAG_LLM_RETRIES: '1',
      DISTRAG_SEED_SCALE: '0.1', DISTRAG_SUBSCRIPTION_BUFFER: '200', DISTRAG_WS_PING_MS: '2000', DISTRAG_SCHEMA_POLL_MS: '600000' },
    report: (line) => console.error(`[stack] ${line}`),
  });
  // The summary reporter (same process) names the mode the suite ran in.
  process.env.DISTRAG_TEST_STACK_MODE = stack.info.mode;
  console.error(`[stack] mode ${stack.info.mode}: ${stack.info.nodes.map((n) => `${n.name} :${n.port}`).join(', ')}`);
  const secrets = readSecrets(stackLayout(stack.config.home).secretsFile, stack.config);
  const env = Object.fromEntries(Object.entries(stack.config).filter(([k, v]) => k.startsWith('DISTRAG_') && v !== undefined).map(([k, v]) => [k, String(v)]));
  project.provide('stack', {
    home: stack.config.home,
    info: stack.info,
    env,
    jwtSecret: secrets.jwtSecret,
    internalSecret: secrets.internalSecret,
    ports: {
      gateway: stack.config.DISTRAG_GATEWAY_PORT,
      data: stack.config.DISTRAG_DATA_PORT,
      cluster: stack.config.DISTRAG_CLUSTER_PORT,
      feed: stack.config.DISTRAG_FEED_PORT,
      redis: stack.config.DISTRAG_REDIS_PORT,
    },
    llmControlUrl: llm.controlUrl,
    gateways: [stack.info.urls.graphql, `http://${stack.config.DISTRAG_HOST}:${stack.config.DISTRAG_GATEWAY_PORT + 10}/graphql`],
  });
  return async () => {
    await stack.stop();
    await llm.close();
  };
}
