import { ConfigError } from '../../src/config/config.js';

export interface SubgraphEndpoint {
  name: string;
  url: string;
}

/** Parses `DISTRAG_SUBGRAPHS` (`name=url,name=url`). */
export function parseSubgraphList(value: string): SubgraphEndpoint[] {
  const list = value.split(',').map((entry) => entry.trim()).filter(Boolean).map((entry) => {
    const eq = entry.indexOf('=');
    const name = entry.slice(0, eq).trim();
    const url = entry.slice(eq + 1).trim();
    if (eq < 1 || !/^[a-z][a-z0-9_-]*$/.test(name) || !URL.canParse(url)) {
      throw new ConfigError(`DISTRAG_SUBGRAPHS entry "${entry}" must look like name=http://host:port/graphql`);
    }
    return { name, url };
  });
  if (list.length === 0) throw new ConfigError('DISTRAG_SUBGRAPHS lists no subgraph');
  return list;
}
