// GET /metrics for Prometheus: on the main port only behind METRICS_TOKEN, and on a listener of
// its own (METRICS_PORT), which also asks for the token when one is set.
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Middleware } from 'koa';
import type { Metrics } from './metrics.ts';

export const METRICS_PATH = '/metrics';

const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * Checks an Authorization header against the token in constant time: both sides are hashed first,
 * so neither the comparison nor its length depends on how much of the token was right.
 */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const match = /^Bearer +([^\s]+)\s*$/i.exec(header ?? '');
  const presented = match?.[1] ?? '';
  return timingSafeEqual(digest(presented), digest(token)) && presented !== '';
}

type Answer = { status: number; headers: Record<string, string>; body: string };

async function answer(
  metrics: Metrics,
  token: string | undefined,
  method: string | undefined,
  authorization: string | undefined,
): Promise<Answer> {
  const plain = { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' };
  if (method !== 'GET' && method !== 'HEAD') {
    return { status: 405, headers: { ...plain, Allow: 'GET, HEAD' }, body: 'method not allowed\n' };
  }
  if (token !== undefined && !bearerMatches(authorization, token)) {
    return {
      status: 401,
      headers: { ...plain, 'WWW-Authenticate': 'Bearer realm="metrics"' },
      body: 'a bearer token is required\n',
    };
  }
  const { contentType, body } = await metrics.exposition();
  return {
    status: 200,
    headers: { 'Content-Type': contentType, 'Cache-Control': 'no-store' },
    body,
  };
}

/** /metrics on the main port, served only when a token is configured; otherwise it is not there. */
export function metricsRoute(metrics: Metrics, token: string | undefined): Middleware {
  return async (ctx, next) => {
    if (ctx.path !== METRICS_PATH || token === undefined || !metrics.enabled) return next();
    const { status, headers, body } = await answer(
      metrics,
      token,
      ctx.method,
      ctx.get('authorization'),
    );
    ctx.status = status;
    ctx.set(headers);
    ctx.body = ctx.method === 'HEAD' ? '' : body;
  };
}

/** The listener of its own: /metrics and nothing else. Call listen() on it. */
export function createMetricsServer(metrics: Metrics, token: string | undefined): Server {
  return createServer(
    { requestTimeout: 10_000, headersTimeout: 5_000 },
    (req: IncomingMessage, res: ServerResponse) => {
      const path = (req.url ?? '/').split('?')[0];
      if (path !== METRICS_PATH) {
        res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('not found\n');
        return;
      }
      answer(metrics, token, req.method, req.headers.authorization).then(
        ({ status, headers, body }) => {
          res.writeHead(status, headers).end(req.method === 'HEAD' ? undefined : body);
        },
        () => {
          res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' }).end('error\n');
        },
      );
    },
  );
}
