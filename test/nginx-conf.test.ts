import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { COMPOSE_NGINX } from '../src/cli/commands/nginx-conf.js';
import { findNginxBinary } from '../src/stack/services/system-binaries.js';
import { nativeTempDirs, renderNginxConf } from '../src/stack/nginx-conf.js';
import { loadConfig } from '../src/config/config.js';

/**
 * The one NGINX template (`up`, compose, a Kubernetes ConfigMap): what it must say, and `nginx -t`
 * on each rendering with the NGINX installed here.
 */
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'distrag-nginx-'));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

const nativeConf = (dir: string) => renderNginxConf({
  runtime: { kind: 'native', dir },
  listen: '127.0.0.1:8080',
  gateways: [{ host: '127.0.0.1', port: 4000 }, { host: '127.0.0.1', port: 4010 }, { host: '127.0.0.1', port: 4011 }],
});
const containerConf = renderNginxConf({ runtime: { kind: 'container' }, ...COMPOSE_NGINX });
const withoutComments = (conf: string) => conf.replace(/#.*$/gm, '');

describe('NGINX template', () => {
  it('balances over every gateway, skipping one that fails, with WebSocket upgrades and a long read timeout', () => {
    for (const conf of [nativeConf(scratch), containerConf].map(withoutComments)) {
      expect(conf).toMatch(/upstream distrag_gateways \{/);
      expect(conf).toMatch(/proxy_pass http:\/\/distrag_gateways;/);
      expect(conf).not.toMatch(/\b(least_conn|ip_hash|hash)\b/);
      expect(conf).toMatch(/proxy_next_upstream error timeout http_502 http_503;/);
      expect(conf).toMatch(/proxy_http_version 1\.1;/);
      expect(conf).toMatch(/proxy_set_header Upgrade \$http_upgrade;/);
      expect(conf).toMatch(/proxy_set_header Connection \$connection_upgrade;/);
      expect(conf).toMatch(/map \$http_upgrade \$connection_upgrade \{/);
      // Above the gateway's WebSocket ping (DISTRAG_WS_PING_MS, at most 300 s): idle subscriptions stay open.
      expect(Number(/proxy_read_timeout (\d+)s;/.exec(conf)?.[1])).toBeGreaterThanOrEqual(3600);
      expect(conf).toMatch(/location = \/nginx-health \{[^}]*return 200/);
    }
    const servers = [...nativeConf(scratch).matchAll(/^\s*server (\S+) max_fails=1 fail_timeout=5s;$/gm)].map((m) => m[1]);
    expect(servers).toEqual(['127.0.0.1:4000', '127.0.0.1:4010', '127.0.0.1:4011']);
  });

  it('keeps a native NGINX\'s pid and temp files in its own directory, and leaves the image\'s own paths alone', () => {
    const native = withoutComments(nativeConf('/srv/x'));
    expect(native).toMatch(/^daemon off;$/m);
    expect(native).toMatch(/^pid \/srv\/x\/nginx\.pid;$/m);
    for (const kind of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) expect(native).toMatch(new RegExp(`${kind}_temp_path /srv/x/tmp/`));
    // The image runs `nginx -g 'daemon off;'`: the directive twice is a fatal error.
    const container = withoutComments(containerConf);
    expect(container).not.toMatch(/\b(daemon|pid|\w+_temp_path)\b/);
    expect(container).toMatch(/^\s*listen 8080;$/m);
  });
});

const nginx = findNginxBinary(loadConfig({}));
const isRoot = process.getuid?.() === 0;
const unshare = spawnSync('unshare', ['--version']).status === 0;

describe.skipIf(!nginx)(`nginx -t (${nginx ?? 'nginx is not installed'})`, () => {
  it('accepts the configuration `up` writes', () => {
    const dir = path.join(scratch, 'native');
    for (const tmp of Object.values(nativeTempDirs(dir))) fs.mkdirSync(tmp, { recursive: true });
    fs.writeFileSync(path.join(dir, 'nginx.conf'), nativeConf(dir));
    const result = spawnSync(nginx!, ['-t', '-c', path.join(dir, 'nginx.conf'), '-p', dir, '-e', 'stderr'], { encoding: 'utf8' });
    expect(result.stderr).toMatch(/test is successful/);
    expect(result.status).toBe(0);
  });

  // NGINX resolves the upstream names when it reads the file: `gateway` exists only in compose's
  // network. A private mount namespace gives this one check an /etc/hosts that names it.
  it.skipIf(!isRoot || !unshare)(`accepts docker/nginx/nginx.conf (compose)${!isRoot || !unshare ? ': skipped, needs root and unshare for a private /etc/hosts' : ''}`, () => {
    const hosts = path.join(scratch, 'hosts');
    fs.writeFileSync(hosts, `127.0.0.1 localhost\n${COMPOSE_NGINX.gateways.map((g) => `127.0.0.1 ${g.host}`).join('\n')}\n`);
    const conf = path.resolve('docker/nginx/nginx.conf');
    expect(fs.readFileSync(conf, 'utf8')).toBe(containerConf);
    const result = spawnSync('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', 'mount --bind "$1" /etc/hosts && exec "$2" -t -c "$3" -p "$4" -e stderr', 'sh', hosts, nginx!, conf, scratch], { encoding: 'utf8' });
    expect(result.stderr).toMatch(/test is successful/);
    expect(result.status).toBe(0);
  });
});
