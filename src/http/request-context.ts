// Gives every request an id, a nonce and a child logger, shared with oidc-provider's own context,
// and opens the audit scope: events recorded while answering it say where it came from.
import { randomFillSync, randomUUID } from 'node:crypto';
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

// Nonces are cut from a buffer of CSPRNG output refilled when used up (as randomUUID does): one
// system call per 256 nonces instead of one per response. Every nonce is fresh bytes.
const NONCE_BYTES = 16;
const noncePool = Buffer.alloc(NONCE_BYTES * 256);
let noncePoolOffset = noncePool.length;

export function cspNonce(): string {
  if (noncePoolOffset + NONCE_BYTES > noncePool.length) {
    randomFillSync(noncePool);
    noncePoolOffset = 0;
  }
  const nonce = noncePool.toString('base64', noncePoolOffset, noncePoolOffset + NONCE_BYTES);
  noncePoolOffset += NONCE_BYTES;
  return nonce;
}

/** An id from a trusted proxy joins our logs to its logs; otherwise ours is authoritative. */
export function requestId(req: IncomingMessage, trustProxy: boolean): string {
  const incoming = req.headers['x-request-id'];
  return trustProxy && typeof incoming === 'string' && INCOMING_ID.test(incoming)
    ? incoming
    : randomUUID();
}

/**
 * The client address as Koa's ctx.ip gives it: behind a trusted proxy the entry `hops` from the
 * right of X-Forwarded-For (entries further left were written by the client), else the socket's.
 */
export function clientAddress(req: IncomingMessage, trustProxy: boolean, hops: number): string {
  const header = trustProxy ? req.headers['x-forwarded-for'] : undefined;
  const forwarded = Array.isArray(header) ? header.join(',') : header;
  let ips = forwarded ? forwarded.split(',').map((ip) => ip.trim()) : [];
  if (hops > 0) ips = ips.slice(-hops);
  return ips[0] || req.socket.remoteAddress || '';
}

/** The request's child logger is made when something logs through it, not for every request. */
class LazyRequestInfo implements RequestInfo {
  readonly id: string;
  readonly nonce: string;
  readonly ip: string;
  readonly #root: Logger;
  #log: Logger | undefined;

  constructor(root: Logger, id: string, ip: string) {
    this.#root = root;
    this.id = id;
    this.ip = ip;
    this.nonce = cspNonce();
  }

  get log(): Logger {
    this.#log ??= this.#root.child({ reqId: this.id });
    return this.#log;
  }
}

/**
 * A Koa context's `state` for a request: its id, its CSP nonce and its logger, the child logger
 * made on first use. Middleware add their own fields as to any state.
 */
export class RequestState {
  [field: string]: unknown;
  readonly requestId: string | undefined;
  readonly nonce: string | undefined;
  readonly #info: RequestInfo | undefined;
  readonly #fallback: Logger;

  constructor(info: RequestInfo | undefined, fallback: Logger) {
    this.requestId = info?.id;
    this.nonce = info?.nonce;
    this.#info = info;
    this.#fallback = fallback;
  }

  get log(): Logger {
    return this.#info?.log ?? this.#fallback;
  }
}

/** Records the request's id, nonce, logger and address for everything that handles it. */
export function startRequest(
  req: IncomingMessage,
  logger: Logger,
  id: string,
  ip: string,
): RequestInfo {
  const info = new LazyRequestInfo(logger, id, ip);
  infos.set(req, info);
  return info;
}

/** The one log line per request. Paths only: query strings carry codes, states and hints. */
export function logRequest(
  info: RequestInfo,
  root: Logger,
  fields: { method: string; path: string; status: number },
  startedNs: bigint,
): void {
  const quiet = QUIET_PATHS.has(fields.path);
  if (!root.isLevelEnabled(quiet ? 'debug' : 'info')) return;
  const ms = Number(process.hrtime.bigint() - startedNs) / 1e6;
  const line = { ...fields, ms: Math.round(ms * 10) / 10, ip: info.ip };
  if (quiet) info.log.debug(line, 'request');
  else info.log.info(line, 'request');
}

export function requestContext(logger: Logger, options: { trustProxy: boolean }): Middleware {
  return async (ctx, next) => {
    const id = requestId(ctx.req, options.trustProxy);
    // Read once while the socket is certainly there: Koa caches it, so every later ctx.ip agrees.
    const info = startRequest(ctx.req, logger, id, ctx.ip);
    ctx.state = new RequestState(info, logger);
    ctx.set('X-Request-Id', id);
    const started = process.hrtime.bigint();
    try {
      const userAgent = ctx.get('user-agent') || undefined;
      await withAuditContext({ actor: 'account', source: info.ip, userAgent, requestId: id }, next);
    } finally {
      logRequest(info, logger, { method: ctx.method, path: ctx.path, status: ctx.status }, started);
    }
  };
}
