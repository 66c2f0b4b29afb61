// Methods nothing here implements get 405 with an Allow header, rather than the routers' 501.
import type { Middleware } from 'koa';
import { HttpProblem } from './http-errors.ts';

const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

export function knownMethodsOnly(): Middleware {
  return async (ctx, next) => {
    if (!KNOWN_METHODS.has(ctx.method)) {
      ctx.set('Allow', [...KNOWN_METHODS].join(', '));
      throw new HttpProblem(405, 'method_not_allowed', 'request.method_not_allowed', {
        method: ctx.method,
      });
    }
    await next();
  };
}
