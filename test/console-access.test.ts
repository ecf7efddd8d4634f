import http from 'node:http';
import { SignJWT } from 'jose';
import { describe, expect, inject, it } from 'vitest';
import { signUserToken } from '../src/auth/user-token.js';
import { browserMissing, sharedBrowser, consoleBase, openConsole, screenshot, showPanel, textOf } from './support/browser.js';
import { tokenFor } from './support/graphql-client.js';

/**
 * Who gets into the console, and what it loads: sign-in with a token (from `up`'s link or pasted),
 * a bad or expired token back on the sign-in page, a tenant token kept out of the Cluster panel,
 * every file from the gateway itself (no CDN: it works offline).
 */
/** GET with the path exactly as given (no resolution of `..` on the way). */
function rawGet(origin: string, path: string): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(origin);
  return new Promise((resolve, reject) => {
    http.get({ hostname, port, path }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

const PANELS = ['ask', 'explore', 'live', 'cache', 'cluster', 'benchmarks'];

describe.skipIf(browserMissing)('console: sign-in and access', () => {
  const browser = sharedBrowser();

  it('without a token shows the sign-in page; a pasted token signs in', async () => {
    const { page, problems } = await openConsole(browser());
    await page.waitForSelector('[data-testid="sign-in"]');
    expect(await page.$('[data-testid="sign-in-error"]')).toBeNull();
    await screenshot(page, 'sign-in');
    await page.type('#token', await tokenFor('writer', '5'));
    await page.click('[data-testid="sign-in"] button[type="submit"]');
    expect(await textOf(page, '[data-testid="who"]')).toBe('writer · tenant 5');
    // The token stays in this tab only: a reload keeps the session, signing out forgets it.
    await page.reload({ waitUntil: 'domcontentloaded' });
    expect(await textOf(page, '[data-testid="who"]')).toBe('writer · tenant 5');
    await page.click('header button.link');
    await page.waitForSelector('[data-testid="sign-in"]');
    await page.reload({ waitUntil: 'domcontentloaded' });
    await page.waitForSelector('[data-testid="sign-in"]');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('a bad token lands on the sign-in page with the reason, and the link token leaves the address bar', async () => {
    const garbage = await openConsole(browser(), { token: 'not-a-token', waitSignedIn: false });
    expect(await textOf(garbage.page, '[data-testid="sign-in-error"]')).toMatch(/not a token/);
    expect(garbage.page.url()).not.toContain('token=');
    await garbage.page.close();

    // Well formed, signed with another secret: the gateway refuses it.
    const forged = await signUserToken('another-secret-of-at-least-32-bytes!!', { sub: 'mallory', role: 'admin' });
    const refused = await openConsole(browser(), { token: forged, waitSignedIn: false });
    expect(await textOf(refused.page, '[data-testid="sign-in-error"]')).toMatch(/^The gateway refused the token: invalid token/);
    expect(await refused.page.$('[data-testid="who"]')).toBeNull();
    expect(refused.page.url()).not.toContain(forged);
    // Refused at the session check: the page asked the gateway for no data with it.
    expect(refused.requests.filter((url) => url.includes('/graphql'))).toEqual([]);
    await refused.page.close();
  });

  it('signs out by itself when the token expires', async () => {
    const secret = new TextEncoder().encode(inject('stack').jwtSecret);
    const now = Math.floor(Date.now() / 1000);
    const shortLived = await new SignJWT({ role: 'admin' }).setProtectedHeader({ alg: 'HS256' }).setSubject('brief').setIssuedAt(now).setExpirationTime(now + 3).sign(secret);
    const { page } = await openConsole(browser(), { token: shortLived });
    expect(await textOf(page, '[data-testid="who"]')).toBe('admin · all tenants');
    expect(await textOf(page, '[data-testid="sign-in-error"]', 10_000)).toMatch(/expired/);
    await page.close();
  });

  it('a tenant token cannot open the Cluster panel, and asks the gateway nothing about the cluster', async () => {
    const { page, problems } = await openConsole(browser(), { token: await tokenFor('reader', '3') });
    const bodies: string[] = [];
    page.on('request', (request) => bodies.push(request.postData() ?? ''));
    expect(await page.$('[data-testid="nav-cluster"]')).toBeNull();
    await page.evaluate(() => {
      window.location.hash = '#/cluster';
    });
    expect(await textOf(page, '[data-testid="forbidden"]')).toMatch(/needs an admin token; this one is a reader token for tenant 3/);
    expect(bodies.filter((b) => /cluster|backups/.test(b))).toEqual([]);
    await screenshot(page, 'cluster-forbidden');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('loads every panel from the gateway alone (no CDN): nothing is fetched from another origin', async () => {
    const { page, problems, requests } = await openConsole(browser(), { token: await tokenFor('admin') });
    const origin = new URL(consoleBase()).origin;
    for (const panel of PANELS) await showPanel(page, panel);
    // GraphiQL (the largest part) loaded and drew its editor from local files.
    await showPanel(page, 'explore');
    await page.waitForSelector('.graphiql-container .monaco-editor', { timeout: 30_000 });
    // From the page itself on: its scripts, styles, workers, fonts and API calls.
    expect(requests.filter((url) => url.startsWith(`${origin}/console/assets/`)).length).toBeGreaterThan(3);
    expect(requests.filter((url) => !url.startsWith(`${origin}/`) && !url.startsWith('data:') && !url.startsWith('blob:'))).toEqual([]);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('serves the page with a strict Content-Security-Policy, its API only with a token, and no file outside the build', async () => {
    const base = consoleBase();
    const page = await fetch(base);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'self'.*script-src 'self';.*connect-src 'self'.*frame-ancestors 'none'/);
    // The built files: hashed names cached for good, compressed when the browser takes gzip.
    const script = /<script type="module" crossorigin src="(\/console\/assets\/[^"]+\.js)"/.exec(await page.text())?.[1];
    expect(script).toBeDefined();
    const asset = await fetch(new URL(script!, base), { headers: { 'accept-encoding': 'gzip' } });
    expect([asset.status, asset.headers.get('cache-control'), asset.headers.get('content-encoding'), asset.headers.get('content-type')]).toEqual([200, 'public, max-age=31536000, immutable', 'gzip', 'text/javascript; charset=utf-8']);
    expect(await fetch(new URL('/console/api/session', base)).then((r) => r.status)).toBe(401);
    expect(await fetch(new URL('/console/api/benchmarks', base)).then((r) => r.status)).toBe(401);
    // Paths sent as written (fetch would resolve the dots), to NGINX and to a gateway directly.
    for (const origin of [new URL(base).origin, new URL(inject('stack').info.urls.graphql).origin]) {
      for (const probe of ['/console/assets/../../package.json', '/console/assets/%2e%2e/%2e%2e/package.json', '/console/..%2f..%2fpackage.json', '/console/assets/nope.js', '/console/assets/']) {
        // The gateway answers 404; NGINX refuses a path climbing above its root itself (400).
        const { status, body } = await rawGet(origin, probe);
        expect([origin, probe, [400, 404].includes(status), body.includes('"distrag"')]).toEqual([origin, probe, true, false]);
      }
    }
    const root = await fetch(new URL('/', base), { redirect: 'manual' });
    expect([root.status, root.headers.get('location')]).toEqual([302, '/console/']);
  });
});
