// Requests only programs make (tokens, introspection, revocation, keys, discovery, PAR, device
// authorization) are answered before the Koa app that serves pages: they get the request id, the
// issuer pin, the security headers and the log line every request gets, then go straight to the
// provider, which answers them in JSON in its own words.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { withAuditContext } from '../audit/audit-context.ts';
import type { Logger } from '../logger.ts';
import { clientAddress, logRequest, requestId, startRequest } from './request-context.ts';
import type { SecurityHeaders } from './security-headers.ts';

export interface MachineRequestDeps {
  /** Exact paths answered here; anything else (other paths, absolute-form targets) is not. */
  paths: ReadonlySet<string>;
  logger: Logger;
  trustProxy: boolean;
  trustProxyHops: number;
  /** Rewrites the request's host to the issuer's (http/issuer-host.ts). */
  pin: (req: IncomingMessage) => void;
  headers: SecurityHeaders;
  /** The provider's Node callback. */
  provider: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  /** Told when a request arrives, with its path (metrics count it when it is answered). */
  onRequest?: (req: IncomingMessage, res: ServerResponse, path: string) => void;
}

/** The path of an origin-form request target, without its query. */
function pathOf(url: string | undefined): string | undefined {
  if (!url?.startsWith('/')) return undefined;
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

/** One machine request, from arrival to the log line. */
export async function answerMachineRequest(
  deps: MachineRequestDeps,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
): Promise<void> {
  const started = process.hrtime.bigint();
  deps.onRequest?.(req, res, path);
  const id = requestId(req, deps.trustProxy);
  const ip = clientAddress(req, deps.trustProxy, deps.trustProxyHops);
  const info = startRequest(req, deps.logger, id, ip);
  res.setHeader('X-Request-Id', id);
  deps.headers.apply(res, info.nonce);
  deps.pin(req);
  try {
    // Security events recorded while answering (refresh-token reuse, say) name where it came from.
    const userAgent = req.headers['user-agent'] || undefined;
    await withAuditContext({ actor: 'account', source: ip, userAgent, requestId: id }, () =>
      deps.provider(req, res),
    );
  } catch (error) {
    // The provider answers its own errors; this is only for one escaping it.
    info.log.error({ err: error }, 'request failed');
    if (!res.headersSent) {
      res.statusCode = 500;
      res.end();
    }
  } finally {
    logRequest(
      info,
      deps.logger,
      { method: req.method ?? '', path, status: res.statusCode },
      started,
    );
  }
}

/** Takes the requests for machine endpoints (returning true) and leaves every other one. */
export function machineRequests(
  deps: MachineRequestDeps,
): (req: IncomingMessage, res: ServerResponse) => boolean {
  return (req, res) => {
    const path = pathOf(req.url);
    if (path === undefined || !deps.paths.has(path)) return false;
    void answerMachineRequest(deps, req, res, path);
    return true;
  };
}
