// CSRF defences for our forms: a token bound to the interaction, and a same-origin check.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Middleware } from 'koa';
import { deriveKey } from '../keys/cookie-keys.ts';
import { forbidden } from './http-errors.ts';

export class CsrfTokens {
  readonly #keys: Buffer[];

  constructor(cookieKeys: readonly string[]) {
    this.#keys = cookieKeys.map((k) => deriveKey(k, 'csrf'));
  }

  #mac(key: Buffer, binding: string): Buffer {
    return createHmac('sha256', key).update(`csrf:${binding}`).digest();
  }

  /** A token for forms that act on `binding` (an interaction uid or a session id). */
  issue(binding: string): string {
    const [key] = this.#keys;
    if (!key) throw new Error('no CSRF key');
    return this.#mac(key, binding).toString('base64url');
  }

  /** Accepts tokens made with any configured key, so rotating COOKIE_KEYS does not break forms. */
  verify(binding: string, token: string): boolean {
    const given = Buffer.from(token, 'base64url');
    // Node's decoder skips characters outside the alphabet, so insist on the exact spelling issued.
    if (given.length !== 32 || given.toString('base64url') !== token) return false;
    return this.#keys.some((key) => timingSafeEqual(this.#mac(key, binding), given));
  }
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Refuses cross-site state-changing requests using Sec-Fetch-Site, falling back to Origin.
 * Requests with neither header (non-browser clients) still need a valid CSRF token.
 */
export function sameOriginOnly(issuerOrigin: string): Middleware {
  return async (ctx, next) => {
    if (UNSAFE.has(ctx.method)) {
      const site = ctx.get('sec-fetch-site');
      const origin = ctx.get('origin');
      if (site !== '') {
        if (site !== 'same-origin' && site !== 'none') {
          throw forbidden('request.cross_site');
        }
      } else if (origin !== '' && origin !== issuerOrigin) {
        throw forbidden('request.cross_site');
      }
    }
    await next();
  };
}
