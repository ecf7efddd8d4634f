import type { Config } from '../../config/config.js';
import { renderNginxConf, type NginxConfOptions } from '../../stack/nginx-conf.js';
import { CliError } from '../cli-error.js';
import { parseFlags } from '../parse-flags.js';

/** The gateways of compose.yaml: the service `gateway`, every replica of it. */
export const COMPOSE_NGINX: Pick<NginxConfOptions, 'listen' | 'gateways'> = { listen: '8080', gateways: [{ host: 'gateway', port: 4000 }] };

/**
 * `distrag nginx-conf [--gateway HOST:PORT]… [--listen PORT]`: the NGINX configuration for the
 * official nginx image, from the template `up` uses (docker/nginx/nginx.conf is its output with the
 * defaults: compose's `gateway` service on 4000, listening on 8080).
 */
export async function nginxConfCommand(args: string[], _config: Config): Promise<number> {
  const { values } = parseFlags('nginx-conf', args, { gateway: { type: 'string', multiple: true }, listen: { type: 'string' } });
  const gateways = (values.gateway ?? []).map((text) => {
    const match = /^([A-Za-z0-9.-]+):(\d{1,5})$/.exec(text);
    if (!match || Number(match[2]) < 1 || Number(match[2]) > 65_535) throw new CliError(`distrag nginx-conf: --gateway takes HOST:PORT, not "${text}"`, 2);
    return { host: match[1]!, port: Number(match[2]) };
  });
  const listen = values.listen ?? COMPOSE_NGINX.listen;
  if (!/^(\d{1,5}|[0-9.]+:\d{1,5})$/.test(listen)) throw new CliError(`distrag nginx-conf: --listen takes PORT or ADDRESS:PORT, not "${listen}"`, 2);
  process.stdout.write(renderNginxConf({ runtime: { kind: 'container' }, listen, gateways: gateways.length > 0 ? gateways : COMPOSE_NGINX.gateways }));
  return 0;
}
