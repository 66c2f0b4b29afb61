// The one place errors become responses: domain errors, library errors, then everything else.
import type { Context, Middleware } from 'koa';
import type Provider from 'oidc-provider';
import { type KoaContextWithOIDC, errors as oidcErrors } from 'oidc-provider';
import {
  AccountNotFound,
  DomainError,
  EmailTaken,
  HashingBusy,
  IdentityAlreadyLinked,
  InvalidCredentials,
  InvalidInput,
  LastSignInMethod,
  TooManyAttempts,
} from '../accounts/errors.ts';
import {
  asStoreUnavailable,
  isDataError,
  RETRY_AFTER_SECONDS,
  type Store,
  type StoreOutages,
} from '../db/store-outages.ts';
import type { Logger } from '../logger.ts';
import { HttpProblem } from './http-errors.ts';
import { requestInfo } from './request-context.ts';
import type { Views } from './views.ts';

export interface MappedError {
  status: number;
  /** Stable machine-readable code (OAuth style). */
  code: string;
  title: string;
  /** Safe to show: never a stack or internal detail. */
  message: string;
  headers?: Record<string, string>;
  fields?: Readonly<Record<string, string>>;
  /** Whether this is our fault (logged as an error) rather than the request's. */
  internal: boolean;
  /** A condition operators watch for: logged as a warning with this event name. */
  event?: string;
  /** The store whose outage caused this (logged once per outage, not per request). */
  store?: Store;
}

const UNAVAILABLE_MESSAGE =
  'The service is briefly unavailable. Try again in a few seconds; nothing you entered was lost.';

export function storeUnavailable(store: Store): MappedError {
  return {
    status: 503,
    code: 'temporarily_unavailable',
    title: 'Temporarily unavailable',
    message: UNAVAILABLE_MESSAGE,
    headers: { 'Retry-After': String(RETRY_AFTER_SECONDS) },
    internal: false,
    store,
  };
}

const SESSION_EXPIRED =
  'This sign-in page has expired or was opened in a different browser. Go back to the application and start signing in again.';

export function mapError(error: unknown): MappedError {
  if (error instanceof DomainError) {
    if (error instanceof InvalidInput) {
      return {
        status: 400,
        code: 'invalid_request',
        title: 'Check your details',
        message: error.message,
        fields: error.fields,
        internal: false,
      };
    }
    if (error instanceof EmailTaken) {
      return {
        status: 409,
        code: 'conflict',
        title: 'Email unavailable',
        message: 'That email address cannot be used for a new account.',
        internal: false,
      };
    }
    if (error instanceof InvalidCredentials) {
      return {
        status: 401,
        code: 'invalid_credentials',
        title: 'Sign-in failed',
        message: 'The email or password is incorrect.',
        internal: false,
      };
    }
    if (error instanceof TooManyAttempts) {
      return {
        status: 429,
        code: 'too_many_attempts',
        title: 'Too many attempts',
        message: `Too many attempts. Try again in ${Math.ceil(error.retryAfterSeconds / 60)} minute(s).`,
        headers: { 'Retry-After': String(error.retryAfterSeconds) },
        internal: false,
      };
    }
    if (error instanceof HashingBusy) {
      return {
        status: 503,
        code: 'temporarily_unavailable',
        title: 'Busy right now',
        message: `Too many sign-ins are being checked at this moment. Wait ${error.retryAfterSeconds} second(s) and try again.`,
        headers: { 'Retry-After': String(error.retryAfterSeconds) },
        internal: false,
        event: 'password_hashing.busy',
      };
    }
    if (error instanceof IdentityAlreadyLinked) {
      return {
        status: 409,
        code: 'conflict',
        title: 'Already linked',
        message: 'This sign-in is already linked to another account.',
        internal: false,
      };
    }
    if (error instanceof LastSignInMethod) {
      return {
        status: 409,
        code: 'conflict',
        title: 'Cannot remove',
        message: 'This is the only way to sign in to the account, so it cannot be removed.',
        internal: false,
      };
    }
    if (error instanceof AccountNotFound) {
      return {
        status: 404,
        code: 'not_found',
        title: 'Not found',
        message: 'The account does not exist.',
        internal: false,
      };
    }
    return {
      status: 400,
      code: error.code,
      title: 'Request refused',
      message: error.message,
      internal: false,
    };
  }
  if (error instanceof oidcErrors.SessionNotFound) {
    return {
      status: 400,
      code: 'session_not_found',
      title: 'This page has expired',
      message: SESSION_EXPIRED,
      internal: false,
    };
  }
  if (error instanceof oidcErrors.OIDCProviderError) {
    const status = error.statusCode ?? error.status ?? 400;
    const internal = status >= 500;
    return {
      status,
      code: internal ? 'server_error' : error.error,
      title: internal ? 'Something went wrong' : 'Request refused',
      message: internal
        ? 'An unexpected error occurred.'
        : (error.error_description ?? error.error),
      internal,
    };
  }
  if (error instanceof HttpProblem) {
    return {
      status: error.status,
      code: error.code,
      title: error.status === 404 ? 'Page not found' : 'Request refused',
      message: error.message,
      headers: { ...error.headers },
      internal: false,
    };
  }
  const outage = asStoreUnavailable(error);
  if (outage) return storeUnavailable(outage.store);
  // A value our checks let through but Postgres refuses (bad encoding, out of range): the input.
  if (isDataError(error)) {
    return {
      status: 400,
      code: 'invalid_request',
      title: 'Request refused',
      message: 'The request contains a value that cannot be stored.',
      internal: false,
    };
  }
  // http-errors from Koa itself (ctx.throw, malformed URLs): trust only client errors it exposes.
  const status = (error as { status?: unknown } | null)?.status;
  if (
    typeof status === 'number' &&
    status >= 400 &&
    status < 500 &&
    (error as { expose?: boolean }).expose
  ) {
    return {
      status,
      code: 'invalid_request',
      title: 'Request refused',
      message: (error as Error).message,
      internal: false,
    };
  }
  return {
    status: 500,
    code: 'server_error',
    title: 'Something went wrong',
    message: 'An unexpected error occurred. If it keeps happening, quote the request id below.',
    internal: true,
  };
}

export function wantsJson(ctx: Context): boolean {
  if (ctx.path.startsWith('/api/')) return true;
  return ctx.accepts(['html', 'json']) === 'json';
}

export function respondWithError(
  ctx: Context,
  mapped: MappedError,
  views: Views,
  options: { html?: boolean } = {},
): void {
  ctx.status = mapped.status;
  for (const [name, value] of Object.entries(mapped.headers ?? {})) ctx.set(name, value);
  const requestId = String(ctx.state.requestId ?? '');
  if (!options.html && wantsJson(ctx)) {
    ctx.body = {
      error: mapped.code,
      error_description: mapped.message,
      ...(mapped.fields ? { fields: mapped.fields } : {}),
      request_id: requestId,
    };
    return;
  }
  views.respond(ctx, 'error', mapped.status, {
    title: mapped.title,
    status: mapped.status,
    message: mapped.message,
  });
}

export function errorMapper(views: Views, outages?: StoreOutages): Middleware {
  return async (ctx, next) => {
    try {
      await next();
      // ctx.respond is false when the mounted provider answered by itself.
      if (ctx.respond !== false && ctx.status === 404 && ctx.body === undefined) {
        respondWithError(
          ctx,
          {
            status: 404,
            code: 'not_found',
            title: 'Page not found',
            message: 'The page you asked for does not exist.',
            internal: false,
          },
          views,
        );
      }
    } catch (error) {
      const mapped = mapError(error);
      logMapped(ctx.state.log, mapped, error, outages);
      if (ctx.headerSent || !ctx.writable) return;
      respondWithError(ctx, mapped, views);
    }
  };
}

function logMapped(
  log: Logger | undefined,
  mapped: MappedError,
  error: unknown,
  outages: StoreOutages | undefined,
): void {
  // An outage is logged when it starts and ends; its requests only in their request lines.
  if (mapped.store) outages?.failed(mapped.store, error);
  else if (mapped.internal) log?.error({ err: error }, 'request failed');
  else if (mapped.event) {
    log?.warn({ event: mapped.event, code: mapped.code, status: mapped.status }, 'request refused');
  } else log?.info({ code: mapped.code, status: mapped.status }, 'request refused');
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
      if (ctx.accepts('json', 'html') === 'html') {
        respondWithError(ctx, mapped, views, { html: true });
      } else {
        ctx.status = mapped.status;
        for (const [name, value] of Object.entries(mapped.headers ?? {})) ctx.set(name, value);
        ctx.body = { error: mapped.code, error_description: mapped.message };
      }
      return;
    }
    const store = outageOf.get(ctx);
    if (store === undefined) return;
    // The library answered 500 or redirected to the client with server_error: neither says
    // "try again", which is what the person or client can usefully do.
    const json = ctx.body !== null && typeof ctx.body === 'object' && !Buffer.isBuffer(ctx.body);
    ctx.remove('Location');
    const mapped = storeUnavailable(store);
    if (json) {
      ctx.status = mapped.status;
      for (const [name, value] of Object.entries(mapped.headers ?? {})) ctx.set(name, value);
      ctx.body = { error: mapped.code, error_description: mapped.message };
    } else {
      respondWithError(ctx, mapped, views, { html: true });
    }
  });
}
