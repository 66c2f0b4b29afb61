// Security headers on every response: a nonce-based CSP, no framing, no caching, no sniffing.
// The header values are built once at boot; per response only the CSP's nonce changes.
import type { ServerResponse } from 'node:http';
import type { Middleware } from 'koa';
import { requestInfo } from './request-context.ts';

export interface SecurityHeaderOptions {
  /** True when the issuer is https: adds HSTS and upgrade-insecure-requests. */
  https: boolean;
  /** Origins our pages may submit forms or redirect to (relying parties, upstream providers). */
  formTargets: readonly string[];
  /** Origins of the clients' logos, the only remote images our pages show. */
  imageOrigins: readonly string[];
}

export interface SecurityHeaders {
  /** Sets every header on a response not yet sent; `cacheable` leaves caching to the caller. */
  apply(res: ServerResponse, nonce: string, options?: { cacheable?: boolean }): void;
  /** The Koa form: static assets may be cached, everything else is no-store. */
  middleware(): Middleware;
}

const NONCE = '{nonce}';

/** The Content-Security-Policy with a place for the nonce; values are origins from our config. */
function contentSecurityPolicy(options: SecurityHeaderOptions): string {
  const directives: [string, readonly string[]][] = [
    ['default-src', ["'none'"]],
    ['script-src', [`'nonce-${NONCE}'`, "'strict-dynamic'"]],
    ['style-src', ["'self'"]],
    // Our logo is same-origin; account pictures are never loaded (initials instead).
    ['img-src', ["'self'", ...options.imageOrigins]],
    ['font-src', ["'self'"]],
    ['connect-src', ["'self'"]],
    ['manifest-src', ["'self'"]],
    // Browsers apply form-action to the redirects that follow a form POST, so the relying
    // parties' redirect targets and the upstream providers must be listed.
    ['form-action', ["'self'", ...options.formTargets]],
    ['frame-ancestors', ["'none'"]],
    ['base-uri', ["'none'"]],
    ['object-src', ["'none'"]],
    ...(options.https ? [['upgrade-insecure-requests', []] as [string, string[]]] : []),
  ];
  for (const [name, values] of directives) {
    // A separator inside a value would end the directive early or start a new policy.
    const bad = values.find((v) => /[;,\s]/.test(v));
    if (bad !== undefined) throw new Error(`CSP ${name}: invalid source ${JSON.stringify(bad)}`);
  }
  return directives.map(([name, values]) => [name, ...values].join(' ')).join(';');
}

export function securityHeaderSet(options: SecurityHeaderOptions): SecurityHeaders {
  const [cspBefore, cspAfter] = contentSecurityPolicy(options).split(NONCE) as [string, string];
  const fixed: [string, string][] = [
    ['Cross-Origin-Opener-Policy', 'same-origin'],
    ['Cross-Origin-Resource-Policy', 'same-origin'],
    ['Origin-Agent-Cluster', '?1'],
    ['Referrer-Policy', 'same-origin'],
    ...(options.https
      ? [['Strict-Transport-Security', 'max-age=31536000; includeSubDomains'] as [string, string]]
      : []),
    ['X-Content-Type-Options', 'nosniff'],
    ['X-DNS-Prefetch-Control', 'off'],
    ['X-Download-Options', 'noopen'],
    ['X-Frame-Options', 'DENY'],
    ['X-Permitted-Cross-Domain-Policies', 'none'],
    // The old XSS auditor did more harm than good; 0 turns it off where it still exists.
    ['X-XSS-Protection', '0'],
    // Sign-in pages need no device features; deny them to anything embedded or injected.
    ['Permissions-Policy', 'camera=(), microphone=(), geolocation=(), payment=(), usb=()'],
  ];
  const apply: SecurityHeaders['apply'] = (res, nonce, { cacheable = false } = {}) => {
    res.removeHeader('X-Powered-By');
    res.setHeader('Content-Security-Policy', `${cspBefore}${nonce}${cspAfter}`);
    for (const [name, value] of fixed) res.setHeader(name, value);
    if (!cacheable) {
      res.setHeader('Cache-Control', 'no-store');
      res.setHeader('Pragma', 'no-cache');
    }
  };
  return {
    apply,
    middleware: () => async (ctx, next) => {
      apply(ctx.res, requestInfo(ctx.req)?.nonce ?? 'missing', {
        cacheable: ctx.path.startsWith('/assets/'),
      });
      await next();
    },
  };
}

export function securityHeaders(options: SecurityHeaderOptions): Middleware {
  return securityHeaderSet(options).middleware();
}
