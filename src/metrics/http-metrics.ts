// Counts and times every HTTP request by route template, never by raw path.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Context, Middleware } from 'koa';
import type { Metrics } from './metrics.ts';

/**
 * The route a request is counted under: the router's matched template, else the fixed path it is
 * (or starts with, then `path/*`) among `fixed`, else `/assets/*` or `unmatched`.
 */
export function routeOf(ctx: Context, fixed: readonly string[]): string {
  const matched = (ctx as Context & { _matchedRoute?: unknown })._matchedRoute;
  if (typeof matched === 'string') return matched;
  const { path } = ctx;
  let best: string | undefined;
  for (const p of fixed) {
    if (path === p) return p;
    if (path.startsWith(`${p}/`) && (best === undefined || p.length > best.length)) best = p;
  }
  if (best !== undefined) return `${best}/*`;
  return path.startsWith('/assets/') ? '/assets/*' : 'unmatched';
}

/**
 * Records every request the app answers; `fixed` are the paths answered without a router (the
 * provider's endpoints). Put it first, so time spent in every other middleware is counted.
 */
export function requestMetrics(metrics: Metrics, fixed: readonly string[]): Middleware {
  return async (ctx, next) => {
    const started = performance.now();
    let status: number | undefined;
    try {
      await next();
    } catch (error) {
      // Koa answers what escapes every middleware: its status, or 500.
      const s = (error as { status?: unknown } | null)?.status;
      status = typeof s === 'number' && s >= 400 && s < 600 ? s : 500;
      throw error;
    } finally {
      const seconds = (performance.now() - started) / 1000;
      metrics.request(routeOf(ctx, fixed), ctx.method, status ?? ctx.status, seconds);
    }
  };
}

/**
 * For requests answered outside Koa: starts timing now and records `route` when the response
 * has been sent (or the connection closed first).
 */
export function countResponse(
  metrics: Metrics,
  route: string,
  req: IncomingMessage,
  res: ServerResponse,
): void {
  if (!metrics.enabled) return;
  const started = performance.now();
  res.once('close', () => {
    metrics.request(
      route,
      req.method ?? 'GET',
      res.statusCode,
      (performance.now() - started) / 1000,
    );
  });
}
