// Pins the host (and, behind a proxy, the scheme) of every request to the configured issuer, so
// no URL the provider builds (discovery, redirects, form actions) can come from a forged Host.
import type { IncomingMessage } from 'node:http';
import type { Middleware } from 'koa';

/** Rewrites a request's Host (and forwarded host and scheme behind a proxy) to the issuer's. */
export function issuerPin(issuer: string, trustProxy: boolean): (req: IncomingMessage) => void {
  const url = new URL(issuer);
  const scheme = url.protocol.slice(0, -1);
  return (req) => {
    req.headers.host = url.host;
    if (trustProxy) {
      req.headers['x-forwarded-host'] = url.host;
      req.headers['x-forwarded-proto'] = scheme;
    }
  };
}

export function pinToIssuer(issuer: string, trustProxy: boolean): Middleware {
  const pin = issuerPin(issuer, trustProxy);
  return async (ctx, next) => {
    pin(ctx.req);
    await next();
  };
}
