import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';

/** A key pair an identity provider would sign with, and its public JWK as it publishes it. */
export interface IdpKey {
  kid: string;
  alg: 'RS256' | 'ES256';
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  jwk: JWK;
}

export async function idpKey(alg: 'RS256' | 'ES256', kid: string): Promise<IdpKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, alg, privateKey, publicKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

/** Signs a token as the identity provider would (`exp` one hour ahead unless the payload says otherwise). */
export function idpToken(key: IdpKey, payload: JWTPayload, header: { kid?: string | null } = {}): Promise<string> {
  const kid = header.kid === undefined ? key.kid : header.kid;
  return new SignJWT({ exp: Math.floor(Date.now() / 1000) + 3600, ...payload })
    .setProtectedHeader({ alg: key.alg, typ: 'JWT', ...(kid === null ? {} : { kid }) })
    .setIssuedAt()
    .sign(key.privateKey);
}

/** A JWKS endpoint on a free local port, as an identity provider serves it; keys can be published later (rotation). */
export interface JwksServer {
  url: URL;
  publish: (key: IdpKey) => void;
  /** How many times the key set was fetched. */
  fetches: () => number;
  close: () => Promise<void>;
}

export async function startJwksServer(keys: IdpKey[] = []): Promise<JwksServer> {
  const published = [...keys];
  let fetches = 0;
  const server = http.createServer((req, res) => {
    if (req.url !== '/.well-known/jwks.json') {
      res.writeHead(404).end();
      return;
    }
    fetches++;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: published.map((k) => k.jwk) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: new URL(`http://127.0.0.1:${port}/.well-known/jwks.json`),
    publish: (key) => published.push(key),
    fetches: () => fetches,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
