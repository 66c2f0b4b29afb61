// The one place errors become responses: map-error.ts words them, this answers and logs them,
// as an error page, JSON, or the form they refused shown again.
import type { Context, Middleware } from 'koa';
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { asStoreUnavailable, type Store, type StoreOutages } from '../db/store-outages.ts';
import { t } from '../i18n/t.ts';
import type { Logger } from '../logger.ts';
import { FormRejected, type Rejection } from './form-rejected.ts';
import {
  codeOf,
  type MappedError,
  mapError,
  pageNotFound,
  paramsOf,
  storeUnavailable,
} from './map-error.ts';
import { Pages } from './pages.ts';
import { requestInfo } from './request-context.ts';
import type { Views } from './views.ts';

export { type MappedError, mapError, storeUnavailable } from './map-error.ts';

export function wantsJson(ctx: Context): boolean {
  if (ctx.path.startsWith('/api/')) return true;
  return ctx.accepts(['html', 'json']) === 'json';
}

function answerJson(ctx: Context, mapped: MappedError, extra: Record<string, unknown> = {}) {
  ctx.status = mapped.status;
  for (const [name, value] of Object.entries(mapped.headers ?? {})) ctx.set(name, value);
  ctx.body = { error: mapped.code, error_description: mapped.message, ...extra };
}

export function respondWithError(
  ctx: Context,
  mapped: MappedError,
  views: Views,
  options: { html?: boolean } = {},
): void {
  if (!options.html && wantsJson(ctx)) {
    answerJson(ctx, mapped, {
      ...(mapped.fields ? { fields: mapped.fields } : {}),
      request_id: String(ctx.state.requestId ?? ''),
    });
    return;
  }
  ctx.status = mapped.status;
  for (const [name, value] of Object.entries(mapped.headers ?? {})) ctx.set(name, value);
  new Pages(views).error(ctx, {
    title: mapped.title,
    status: mapped.status,
    message: mapped.message,
  });
}

/** The answer to a refused form (status, headers, log line) and the words its page shows. */
export function rejectionOf(rejected: FormRejected): { mapped: MappedError; rejection: Rejection } {
  const { reason } = rejected;
  if (!('as' in reason)) {
    const mapped: MappedError = {
      status: reason.status,
      code: reason.code ?? 'invalid_request',
      title: t('error.refused.title'),
      message: t(reason.key, reason.params),
      internal: false,
    };
    return { mapped, rejection: mapped };
  }
  const mapped = mapError(reason.error, reason.params);
  const { key, field } = reason.as;
  const message = key ? t(key, paramsOf(reason.error, reason.params)) : mapped.message;
  const fields = field ? { [field]: message } : mapped.fields;
  const code = codeOf(reason.error) ?? mapped.code;
  return { mapped, rejection: { ...mapped, code, message, ...(fields ? { fields } : {}) } };
}

export function errorMapper(views: Views, outages?: StoreOutages): Middleware {
  async function answer(ctx: Context, error: unknown): Promise<void> {
    if (error instanceof FormRejected) {
      const { mapped, rejection } = rejectionOf(error);
      const cause = 'error' in error.reason ? error.reason.error : error;
      logMapped(ctx.state.log, mapped, cause, outages);
      if (ctx.headerSent || !ctx.writable) return;
      for (const [name, value] of Object.entries(mapped.headers ?? {})) ctx.set(name, value);
      try {
        await error.show(rejection);
      } catch (failure) {
        await answer(ctx, failure);
      }
      return;
    }
    const mapped = mapError(error);
    logMapped(ctx.state.log, mapped, error, outages);
    if (ctx.headerSent || !ctx.writable) return;
    respondWithError(ctx, mapped, views);
  }

  return async (ctx, next) => {
    try {
      await next();
      // ctx.respond is false when the mounted provider answered by itself.
      if (ctx.respond !== false && ctx.status === 404 && ctx.body === undefined) {
        respondWithError(ctx, pageNotFound(), views);
      }
    } catch (error) {
      await answer(ctx, error);
    }
  };
}

function logMapped(
  log: Logger | undefined,
  mapped: MappedError,
  error: unknown,
  outages: StoreOutages | undefined,
): void {
  const { code, status, event } = mapped;
  // An outage is logged when it starts and ends; its requests only in their request lines.
  if (mapped.store) outages?.failed(mapped.store, error);
  else if (mapped.internal) log?.error({ err: error }, 'request failed');
  else if (event) {
    const line = { event: event.name, code, status, ...(event.withError ? { err: error } : {}) };
    log?.[event.level](line, 'request refused');
  } else log?.info({ code, status }, 'request refused');
}

// A client that hangs up mid-request is not a failure of ours.
const CLIENT_GONE = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE']);

/**
 * Listener for a Koa app's 'error' event (errors no middleware answered, or a connection that
 * failed under a response). Without one Koa prints raw stacks to stderr.
 */
export function koaErrorLogger(logger: Logger) {
  return (error: Error & { code?: string; status?: number; expose?: boolean }, ctx?: Context) => {
    const log =
      (ctx?.state?.log as Logger | undefined) ??
      (ctx ? requestInfo(ctx.req)?.log : undefined) ??
      logger;
    if (CLIENT_GONE.has(error.code ?? '') || error.message === 'aborted') {
      log.debug({ code: error.code ?? error.message }, 'client closed the connection');
    } else if (error.expose || (error.status !== undefined && error.status < 500)) {
      log.debug({ status: error.status, message: error.message }, 'request refused');
    } else {
      log.error({ err: error }, 'unhandled error');
    }
  };
}

/**
 * The mounted provider answers its own errors (a 500 server_error page or JSON, or a redirect
 * to the client). Store outages there become 503s with Retry-After like ours, errors that escape
 * its handlers (saving the session after the response was chosen) are answered here, and its
 * server errors are logged through our logger.
 */
export function providerErrors(
  provider: Provider,
  deps: { views: Views; logger: Logger; outages?: StoreOutages },
): void {
  const { views, logger, outages } = deps;
  const outageOf = new WeakMap<object, Store>();
  const logOf = (ctx: KoaContextWithOIDC | undefined) =>
    (ctx?.state?.log as Logger | undefined) ?? logger;

  provider.on('server_error', (ctx: KoaContextWithOIDC, error: Error) => {
    const outage = asStoreUnavailable(error);
    if (outage) {
      if (ctx) outageOf.set(ctx, outage.store);
      outages?.failed(outage.store, error);
      return;
    }
    logOf(ctx).error({ err: error, route: ctx?.oidc?.route }, 'oidc server error');
  });
  // The provider is a Koa app of its own; its typings leave out Koa's 'error' event.
  (provider as unknown as NodeJS.EventEmitter).on('error', koaErrorLogger(logger));

  provider.use(async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      const mapped = mapError(error);
      logMapped(logOf(ctx as KoaContextWithOIDC), mapped, error, outages);
      ctx.remove('Location');
      // As the library itself chooses: JSON unless HTML is preferred (an OAuth client sends */*).
      if (ctx.accepts('json', 'html') === 'html')
        respondWithError(ctx, mapped, views, { html: true });
      else answerJson(ctx, mapped);
      return;
    }
    const store = outageOf.get(ctx);
    if (store === undefined) return;
    // The library answered 500 or redirected to the client with server_error: neither says
    // "try again", which is what the person or client can usefully do.
    const json = ctx.body !== null && typeof ctx.body === 'object' && !Buffer.isBuffer(ctx.body);
    ctx.remove('Location');
    const mapped = storeUnavailable(store);
    if (json) answerJson(ctx, mapped);
    else respondWithError(ctx, mapped, views, { html: true });
  });
}
