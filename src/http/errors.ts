// The one place errors become responses: domain errors, library errors, then everything else.
import type { Context, Middleware } from 'koa';
import { errors as oidcErrors } from 'oidc-provider';
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
import { HttpProblem } from './http-errors.ts';
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

export function respondWithError(ctx: Context, mapped: MappedError, views: Views): void {
  ctx.status = mapped.status;
  for (const [name, value] of Object.entries(mapped.headers ?? {})) ctx.set(name, value);
  const requestId = String(ctx.state.requestId ?? '');
  if (wantsJson(ctx)) {
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

export function errorMapper(views: Views): Middleware {
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
      if (mapped.internal) ctx.state.log?.error({ err: error }, 'request failed');
      else if (mapped.event) {
        ctx.state.log?.warn(
          { event: mapped.event, code: mapped.code, status: mapped.status },
          'request refused',
        );
      } else ctx.state.log?.info({ code: mapped.code, status: mapped.status }, 'request refused');
      if (ctx.headerSent || !ctx.writable) return;
      respondWithError(ctx, mapped, views);
    }
  };
}
