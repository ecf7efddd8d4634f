/** A PostgreSQL node as settings name it: `coordinator=coordinator:5432`. */
export interface NamedNode {
  name: string;
  host: string;
  port: number;
}

/**
 * Parses a node list setting (`coordinator=127.0.0.1:9700,worker-1=127.0.0.1:9701`): names are
 * lower-case letters, digits, `-` and `_`; each name once. Throws an Error naming the setting.
 */
export function parseNodeList(setting: string, text: string): NamedNode[] {
  const nodes = text.split(',').map((s) => s.trim()).filter(Boolean).map((entry) => {
    const match = /^([a-z0-9_-]+)=([^\s=:,]+):(\d{1,5})$/.exec(entry);
    const port = Number(match?.[3]);
    if (!match || port < 1 || port > 65_535) throw new Error(`${setting}: "${entry}" is not name=host:port`);
    return { name: match[1]!, host: match[2]!, port };
  });
  const names = nodes.map((n) => n.name);
  const twice = names.find((name, i) => names.indexOf(name) !== i);
  if (twice) throw new Error(`${setting}: node "${twice}" is listed twice`);
  return nodes;
}

export function formatNodeList(nodes: readonly NamedNode[]): string {
  return nodes.map((n) => `${n.name}=${n.host}:${n.port}`).join(',');
}
