// Liveness (/healthz: the process answers) and readiness (/readyz: Postgres and Redis answer).
import Router from '@koa/router';

export type Probe = () => Promise<void>;

export interface HealthDeps {
  probes: Record<string, Probe>;
  /** True once shutdown has begun: readiness fails so load balancers drain us. */
  draining: () => boolean;
  timeoutMs?: number;
}

function withTimeout(probe: Probe, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    probe().then(
      () => {
        clearTimeout(timer);
        resolve();
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

export function healthRoutes(deps: HealthDeps): Router {
  const router = new Router();
  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  router.get('/readyz', async (ctx) => {
    if (deps.draining()) {
      ctx.status = 503;
      ctx.body = { status: 'unavailable', reason: 'shutting down' };
      return;
    }
    const names = Object.keys(deps.probes);
    const results = await Promise.allSettled(
      names.map((name) => withTimeout(deps.probes[name] as Probe, deps.timeoutMs ?? 2000)),
    );
    const checks: Record<string, string> = {};
    results.forEach((result, i) => {
      checks[names[i] as string] =
        result.status === 'fulfilled' ? 'ok' : `unreachable: ${(result.reason as Error).message}`;
    });
    const ready = results.every((r) => r.status === 'fulfilled');
    ctx.status = ready ? 200 : 503;
    ctx.body = { status: ready ? 'ready' : 'unavailable', checks };
  });
  return router;
}
