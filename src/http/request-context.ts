// Gives every request an id, a nonce and a child logger, shared with oidc-provider's own context,
// and opens the audit scope: events recorded while answering it say where it came from.
import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Middleware } from 'koa';
import { withAuditContext } from '../audit/audit-context.ts';
import type { Logger } from '../logger.ts';

export interface RequestInfo {
  readonly id: string;
  /** CSP nonce for this response's scripts. */
  readonly nonce: string;
  readonly log: Logger;
  /** The client address (behind proxies: TRUST_PROXY_HOPS entries from the right of X-Forwarded-For). */
  readonly ip: string;
}

// Keyed by the Node request so the mounted provider (a separate Koa context) sees the same info.
const infos = new WeakMap<IncomingMessage, RequestInfo>();

export function requestInfo(req: IncomingMessage): RequestInfo | undefined {
  return infos.get(req);
}

const INCOMING_ID = /^[A-Za-z0-9._-]{8,64}$/;
/** Asked every few seconds by probes and scrapers: their request lines are debug. */
const QUIET_PATHS: ReadonlySet<string> = new Set(['/healthz', '/readyz', '/metrics']);

export function requestContext(logger: Logger, options: { trustProxy: boolean }): Middleware {
  return async (ctx, next) => {
    const incoming = ctx.get('x-request-id');
    // An id from a trusted proxy joins our logs to its logs; otherwise ours is authoritative.
    const id = options.trustProxy && INCOMING_ID.test(incoming) ? incoming : randomUUID();
    // Read once while the socket is certainly there: Koa caches it, so every later ctx.ip agrees.
    const ip = ctx.ip;
    const info: RequestInfo = {
      id,
      nonce: randomBytes(16).toString('base64'),
      log: logger.child({ reqId: id }),
      ip,
    };
    infos.set(ctx.req, info);
    ctx.state.requestId = id;
    ctx.state.nonce = info.nonce;
    ctx.state.log = info.log;
    ctx.set('X-Request-Id', id);
    const started = process.hrtime.bigint();
    try {
      const userAgent = ctx.get('user-agent') || undefined;
      await withAuditContext({ actor: 'account', source: ip, userAgent, requestId: id }, next);
    } finally {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      // Paths only: query strings carry codes, states and hints that do not belong in logs.
      const fields = {
        method: ctx.method,
        path: ctx.path,
        status: ctx.status,
        ms: Math.round(ms * 10) / 10,
        ip,
      };
      if (QUIET_PATHS.has(ctx.path)) info.log.debug(fields, 'request');
      else info.log.info(fields, 'request');
    }
  };
}
