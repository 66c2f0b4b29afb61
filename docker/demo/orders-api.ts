// A sample resource server: accepts Latchkey's JWT access tokens (RFC 9068) checked with the
// issuer's JWKS alone, never calling the issuer per request. The e2e client and the tests use it.
//   node docker/demo/orders-api.ts   (ISSUER, ORDERS_AUDIENCE, PORT)
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRemoteJWKSet, errors, type JWTPayload, jwtVerify } from 'jose';

export interface OrdersApiOptions {
  issuer: string;
  /** This API's audience URI, exactly as in RESOURCE_SERVERS_FILE. */
  audience: string;
  /** Default: the issuer's /jwks. */
  jwksUri?: string;
  /** How long fetched keys are trusted, and the least time between fetches (jose: 10 min, 30 s). */
  cacheMaxAgeMs?: number;
  cooldownMs?: number;
  /** The time tokens are checked at (tests move it forward to see an expired token refused). */
  now?: () => Date;
}

export interface AccessTokenClaims extends JWTPayload {
  client_id: string;
  scope?: string;
}

/** Why a token was refused, in words fit for a WWW-Authenticate error_description. */
export class TokenRefused extends Error {
  readonly status: 401 | 403;
  readonly error: 'invalid_token' | 'insufficient_scope';
  constructor(status: 401 | 403, error: TokenRefused['error'], description: string) {
    super(description);
    this.name = 'TokenRefused';
    this.status = status;
    this.error = error;
  }
}

/** The check every API does: signature from the JWKS, typ at+jwt, issuer, audience, expiry. */
export function accessTokenVerifier(options: OrdersApiOptions) {
  const keys = createRemoteJWKSet(new URL(options.jwksUri ?? `${options.issuer}/jwks`), {
    ...(options.cacheMaxAgeMs === undefined ? {} : { cacheMaxAge: options.cacheMaxAgeMs }),
    ...(options.cooldownMs === undefined ? {} : { cooldownDuration: options.cooldownMs }),
  });
  return async (token: string): Promise<AccessTokenClaims> => {
    try {
      const { payload } = await jwtVerify<AccessTokenClaims>(token, keys, {
        issuer: options.issuer,
        audience: options.audience,
        typ: 'at+jwt',
        algorithms: ['RS256', 'ES256'],
        requiredClaims: ['sub', 'client_id', 'iat', 'exp', 'jti'],
        ...(options.now ? { currentDate: options.now() } : {}),
      });
      return payload;
    } catch (error) {
      if (error instanceof errors.JWTExpired) {
        throw new TokenRefused(401, 'invalid_token', 'the token has expired');
      }
      if (error instanceof errors.JWTClaimValidationFailed) {
        throw new TokenRefused(401, 'invalid_token', `the token's ${error.claim} is not accepted`);
      }
      if (error instanceof errors.JWKSNoMatchingKey) {
        throw new TokenRefused(401, 'invalid_token', 'the token is signed by an unknown key');
      }
      if (error instanceof errors.JOSEError) {
        throw new TokenRefused(401, 'invalid_token', 'the token is not a valid access token');
      }
      throw error;
    }
  };
}

/** GET /orders with `orders:read`: the caller's (made-up) orders. */
export async function startOrdersApi(
  options: OrdersApiOptions & { port?: number; host?: string },
): Promise<{ url: string; server: Server; close(): Promise<void> }> {
  const verify = accessTokenVerifier(options);
  const server = createServer(async (req, res) => {
    const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    if (req.method !== 'GET' || req.url !== '/orders') return answer(404, { error: 'not_found' });
    const match = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/.exec(req.headers.authorization ?? '');
    if (!match) {
      return answer(401, { error: 'unauthorized' }, { 'www-authenticate': 'Bearer' });
    }
    try {
      const claims = await verify(match[1] as string);
      if (!claims.scope?.split(' ').includes('orders:read')) {
        throw new TokenRefused(403, 'insufficient_scope', 'orders:read is required');
      }
      answer(200, { sub: claims.sub, client_id: claims.client_id, orders: [] });
    } catch (error) {
      if (!(error instanceof TokenRefused)) return answer(500, { error: 'server_error' });
      answer(
        error.status,
        { error: error.error, error_description: error.message },
        {
          'www-authenticate': `Bearer error="${error.error}", error_description="${error.message}"`,
        },
      );
    }
  });
  await new Promise<void>((resolve) =>
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve),
  );
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

if (import.meta.main) {
  const issuer = process.env.ISSUER ?? 'http://localhost:3000';
  const audience = process.env.ORDERS_AUDIENCE ?? 'https://orders.example.com';
  const api = await startOrdersApi({
    issuer,
    audience,
    port: Number(process.env.PORT ?? 3003),
    host: process.env.HOST ?? '127.0.0.1',
  });
  process.stdout.write(`orders API for ${audience} at ${api.url}/orders, tokens from ${issuer}\n`);
}
