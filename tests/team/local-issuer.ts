/**
 * A second issuer for the claims a ServiceAccount token cannot carry (scopes, groups): OIDC
 * discovery and a JWKS served over HTTP on loopback (plain http, which team mode accepts for a
 * loopback issuer only), and access tokens signed with its key by jose, as an identity provider
 * issues them. The server under test fetches both over the network like any issuer's.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWTPayload, SignJWT } from 'jose';

export interface LocalIssuer {
  issuer: string;
  /** A signed access token with these claims (iss set; aud, exp and iat unless given). */
  mint(claims: JWTPayload, options: { audience: string; expiresIn?: string; issuer?: string }): Promise<string>;
  close(): Promise<void>;
}

export async function startLocalIssuer(): Promise<LocalIssuer> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'local-1', alg: 'ES256', use: 'sig' };
  let issuer = '';
  const server: Server = createServer((req, res) => {
    const send = (body: unknown) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (req.url === '/.well-known/openid-configuration') send({ issuer, jwks_uri: `${issuer}/jwks`, id_token_signing_alg_values_supported: ['ES256'] });
    else if (req.url === '/jwks') send({ keys: [jwk] });
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    issuer,
    mint: (claims, { audience, expiresIn = '10m', issuer: iss = issuer }) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'ES256', kid: 'local-1', typ: 'at+jwt' })
        .setIssuer(iss)
        .setAudience(audience)
        .setIssuedAt()
        .setExpirationTime(expiresIn)
        .sign(privateKey),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
