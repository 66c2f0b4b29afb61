// Security headers on every response: a nonce-based CSP, no framing, no caching, no sniffing.
import type { IncomingMessage } from 'node:http';
import type { Middleware } from 'koa';
import helmet from 'koa-helmet';
import { requestInfo } from './request-context.ts';

export interface SecurityHeaderOptions {
  /** True when the issuer is https: adds HSTS and upgrade-insecure-requests. */
  https: boolean;
  /** Origins our pages may submit forms or redirect to (relying parties, upstream providers). */
  formTargets: readonly string[];
  /** Origins of the clients' logos, the only remote images our pages show. */
  imageOrigins: readonly string[];
}

const nonce = (req: IncomingMessage) => `'nonce-${requestInfo(req)?.nonce ?? 'missing'}'`;

export function securityHeaders(options: SecurityHeaderOptions): Middleware {
  const headers = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        'default-src': ["'none'"],
        'script-src': [nonce, "'strict-dynamic'"],
        'style-src': ["'self'"],
        // Our logo is same-origin; account pictures are never loaded (initials instead).
        'img-src': ["'self'", ...options.imageOrigins],
        'font-src': ["'self'"],
        'connect-src': ["'self'"],
        'manifest-src': ["'self'"],
        // Browsers apply form-action to the redirects that follow a form POST, so the relying
        // parties' redirect targets and the upstream providers must be listed.
        'form-action': ["'self'", ...options.formTargets],
        'frame-ancestors': ["'none'"],
        'base-uri': ["'none'"],
        'object-src': ["'none'"],
        ...(options.https ? { 'upgrade-insecure-requests': [] } : {}),
      },
    },
    crossOriginEmbedderPolicy: false,
    crossOriginOpenerPolicy: { policy: 'same-origin' },
    crossOriginResourcePolicy: { policy: 'same-origin' },
    referrerPolicy: { policy: 'same-origin' },
    strictTransportSecurity: options.https
      ? { maxAge: 31_536_000, includeSubDomains: true }
      : false,
    xFrameOptions: { action: 'deny' },
  });
  return async (ctx, next) => {
    ctx.remove('X-Powered-By');
    // Sign-in pages need no device features; deny them to anything embedded or injected.
    ctx.set('Permissions-Policy', 'camera=(), microphone=(), geolocation=(), payment=(), usb=()');
    if (!ctx.path.startsWith('/assets/')) {
      ctx.set('Cache-Control', 'no-store');
      ctx.set('Pragma', 'no-cache');
    }
    await headers(ctx, next);
  };
}
