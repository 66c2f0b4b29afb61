// Pins the host (and, behind a proxy, the scheme) of every request to the configured issuer, so
// no URL the provider builds (discovery, redirects, form actions) can come from a forged Host.
import type { Middleware } from 'koa';

export function pinToIssuer(issuer: string, trustProxy: boolean): Middleware {
  const url = new URL(issuer);
  const scheme = url.protocol.slice(0, -1);
  return async (ctx, next) => {
    ctx.req.headers.host = url.host;
    if (trustProxy) {
      ctx.req.headers['x-forwarded-host'] = url.host;
      ctx.req.headers['x-forwarded-proto'] = scheme;
    }
    await next();
  };
}
