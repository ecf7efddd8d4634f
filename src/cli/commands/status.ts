import { requirement } from '../../../scripts/system-requirements.mjs';
import type { Config } from '../../config/config.js';
import { readStackStatus } from '../../stack/stack-control.js';
import { parseFlags } from '../parse-flags.js';

/** `distrag status [--json]`: exit 0 when everything recorded is healthy, 1 otherwise or when stopped. */
export async function statusCommand(args: string[], config: Config): Promise<number> {
  const { values } = parseFlags('status', args, { json: { type: 'boolean' } });
  const status = await readStackStatus(config);
  const healthy = status.processes.length > 0 && status.processes.every((p) => p.healthy);
  if (values.json) {
    console.log(JSON.stringify(status, null, 2));
    return healthy ? 0 : 1;
  }
  if (status.processes.length === 0) {
    console.log('DistRAG is not running (start it with `npx distrag up`)');
    return 1;
  }
  console.log(`mode ${status.mode ?? 'unknown'}`);
  for (const p of status.processes) console.log(`${p.healthy ? 'up  ' : 'DOWN'}  ${p.name.padEnd(20)} pid ${String(p.pid).padEnd(8)} port ${p.port}`);
  if (status.cache) {
    console.log(status.cache.enabled ? `cache: enabled (embedder ${status.cache.embedder})` : `cache: DISABLED — ${status.cache.reason}`);
  }
  if (status.rag) {
    const { llm, schemaIndex } = status.rag;
    const index = `schema index ${schemaIndex.phase} (${schemaIndex.tables} tables)`;
    console.log(llm ? `rag: LLM ${llm.provider} ${llm.model}; ${index}` : `rag: LLM NOT CONFIGURED — ask fails until GEMINI_API_KEY or DISTRAG_LLM_BASE_URL is set; ${index}`);
  }
  if (status.urls) {
    console.log(`GraphQL ${status.urls.graphql}${status.urls.nginx ? `  NGINX ${status.urls.nginx}` : ''}`);
    // `up` leaves urls.nginx null only when nginx is not installed (it is optional).
    if (!status.urls.nginx) console.log(`nginx: not installed — ${requirement('nginx').without}`);
  }
  return healthy ? 0 : 1;
}
