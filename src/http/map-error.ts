// What each kind of error becomes: one family after another, each a table of status, code,
// catalogue entry, Retry-After and log event; the first family that knows the error answers it.
import { errors as oidcErrors } from 'oidc-provider';
import {
  type DomainCode,
  DomainError,
  type FieldProblem,
  InvalidInput,
  type ProblemCode,
  TooManyAttempts,
} from '../accounts/errors.ts';
import {
  asStoreUnavailable,
  isDataError,
  RETRY_AFTER_SECONDS,
  type Store,
} from '../db/store-outages.ts';
import type { Catalogue } from '../i18n/en.ts';
import { isMessageKey, type Message, type MessageKey, type Params, t } from '../i18n/t.ts';
import {
  UpstreamAccountNotAllowed,
  UpstreamDenied,
  UpstreamRejected,
  UpstreamUnavailable,
} from '../upstreams/upstream.ts';
import { HttpProblem } from './http-errors.ts';

/** A log line operators watch for, instead of the plain "request refused". */
export interface LogEvent {
  name: string;
  level: 'info' | 'warn';
  /** Whether the line carries the error itself (its cause tells operators what went wrong). */
  withError?: boolean;
}

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
  event?: LogEvent;
  /** The store whose outage caused this (logged once per outage, not per request). */
  store?: Store;
}

/** An entry of the catalogue's `error` section: a title and usually a message. */
type Entry = keyof Catalogue['error'];

interface Answer {
  status: number;
  code: string;
  entry: Entry;
  /** The words, when not the entry's own message: a catalogue message or the error's own text. */
  message?: Message | string;
  /** The one place Retry-After comes from. */
  retryAfterSeconds?: number;
  headers?: Record<string, string>;
  fields?: Readonly<Record<string, string>>;
  internal?: boolean;
  event?: LogEvent;
  store?: Store;
}

type Rule = Pick<Answer, 'status' | 'code' | 'event' | 'retryAfterSeconds'>;

/** The sentence for each account rule's problem code (a missing one fails type-checking). */
const problemKey = (code: ProblemCode): MessageKey => `field.${code}`;

/** A problem with a typed value, in the words of the request's language. */
export const problemWords = (p: FieldProblem): string => t(problemKey(p.code), p.params);

function fieldWords(fields: Readonly<Record<string, FieldProblem>>): Record<string, string> {
  return Object.fromEntries(Object.entries(fields).map(([name, p]) => [name, problemWords(p)]));
}

/** Account errors, by their code; the catalogue entry has the same name. */
const DOMAIN: Readonly<Record<DomainCode, Rule>> = {
  invalid_input: { status: 400, code: 'invalid_request' },
  email_taken: { status: 409, code: 'conflict' },
  invalid_credentials: {
    status: 401,
    code: 'invalid_credentials',
    event: { name: 'login.failed', level: 'info' },
  },
  too_many_attempts: { status: 429, code: 'too_many_attempts' },
  hashing_busy: {
    status: 503,
    code: 'temporarily_unavailable',
    event: { name: 'password_hashing.busy', level: 'warn' },
  },
  identity_already_linked: { status: 409, code: 'conflict' },
  last_sign_in_method: { status: 409, code: 'conflict' },
  account_not_found: { status: 404, code: 'not_found' },
  link_invalid: { status: 400, code: 'invalid_link' },
  invalid_code: {
    status: 401,
    code: 'invalid_code',
    event: { name: 'second_step.failed', level: 'info' },
  },
  second_factor_exists: { status: 409, code: 'conflict' },
  no_second_factor: { status: 409, code: 'conflict' },
  passkey_refused: {
    status: 400,
    code: 'passkey_refused',
    event: { name: 'passkey.refused', level: 'info', withError: true },
  },
  passkey_challenge_invalid: { status: 400, code: 'passkey_expired' },
  passkey_unknown: {
    status: 400,
    code: 'passkey_unknown',
    event: { name: 'passkey.unknown', level: 'info' },
  },
  passkey_counter_regressed: {
    status: 401,
    code: 'passkey_refused',
    event: { name: 'passkey.counter_regressed', level: 'warn', withError: true },
  },
  passkey_already_added: { status: 409, code: 'conflict' },
  sign_up_not_confirmed: { status: 403, code: 'sign_up_not_confirmed' },
};

/** Upstream errors, most specific first; the catalogue entry is the code they are known by. */
const UPSTREAM = [
  [UpstreamDenied, 'upstream_denied', { status: 400, code: 'access_denied' }],
  [
    UpstreamAccountNotAllowed,
    'upstream_account_not_allowed',
    { status: 403, code: 'access_denied' },
  ],
  [
    UpstreamUnavailable,
    'upstream_unavailable',
    {
      status: 503,
      code: 'temporarily_unavailable',
      retryAfterSeconds: 30,
      event: { name: 'upstream.unavailable', level: 'warn', withError: true },
    },
  ],
  [
    UpstreamRejected,
    'upstream_rejected',
    {
      status: 502,
      code: 'upstream_rejected',
      event: { name: 'upstream.rejected', level: 'warn', withError: true },
    },
  ],
] as const satisfies readonly (readonly [new (...args: never[]) => Error, Entry, Rule])[];

/** The wait an error asks for itself (the throttle's window, the hashing queue's estimate). */
function retryAfterOf(error: unknown): number | undefined {
  const seconds = (error as { retryAfterSeconds?: unknown } | null)?.retryAfterSeconds;
  return typeof seconds === 'number' ? seconds : undefined;
}

/** The code an expected error is known by on a form (see form-rejected.ts). */
export function codeOf(error: unknown): string | undefined {
  if (error instanceof DomainError) return error.code;
  return UPSTREAM.find(([type]) => error instanceof type)?.[1];
}

function domainAnswer(error: unknown): Answer | undefined {
  if (!(error instanceof DomainError)) return undefined;
  const rule = (DOMAIN as Record<string, Rule | undefined>)[error.code];
  if (!rule) return { status: 400, code: error.code, entry: 'refused', message: error.message };
  if (!(error instanceof InvalidInput)) return { ...rule, entry: error.code as DomainCode };
  const fields = fieldWords(error.fields);
  return { ...rule, entry: error.code, message: Object.values(fields).join(' '), fields };
}

function upstreamAnswer(error: unknown): Answer | undefined {
  const found = UPSTREAM.find(([type]) => error instanceof type);
  if (!found) return undefined;
  const [, entry, rule] = found;
  return {
    ...rule,
    entry,
    ...(error instanceof UpstreamAccountNotAllowed
      ? {
          message: {
            key: 'error.upstream_account_not_allowed.message',
            params: { domain: error.domain },
          },
        }
      : {}),
  };
}

function oidcAnswer(error: unknown): Answer | undefined {
  if (error instanceof oidcErrors.SessionNotFound) {
    return { status: 400, code: 'session_not_found', entry: 'session_expired' };
  }
  if (!(error instanceof oidcErrors.OIDCProviderError)) return undefined;
  const status = error.statusCode ?? error.status ?? 400;
  if (status >= 500) {
    return { status, code: 'server_error', entry: 'provider_failed', internal: true };
  }
  const message = error.error_description ?? error.error;
  return { status, code: error.error, entry: 'refused', message };
}

function problemAnswer(error: unknown): Answer | undefined {
  if (!(error instanceof HttpProblem)) return undefined;
  return {
    status: error.status,
    code: error.code,
    entry: error.status === 404 ? 'page_not_found' : 'refused',
    message: { key: error.key, params: error.params },
    headers: { ...error.headers },
  };
}

function storeAnswer(error: unknown): Answer | undefined {
  const outage = asStoreUnavailable(error);
  if (outage) return storeUnavailableAnswer(outage.store);
  // A value our checks let through but Postgres refuses (bad encoding, out of range): the input.
  if (isDataError(error))
    return { status: 400, code: 'invalid_request', entry: 'unstorable_value' };
  return undefined;
}

const storeUnavailableAnswer = (store: Store): Answer => ({
  status: 503,
  code: 'temporarily_unavailable',
  entry: 'store_unavailable',
  retryAfterSeconds: RETRY_AFTER_SECONDS,
  store,
});

// http-errors from Koa itself (ctx.throw, malformed URLs): trust only client errors it exposes.
function koaAnswer(error: unknown): Answer | undefined {
  const { status, expose } = (error ?? {}) as { status?: unknown; expose?: boolean };
  if (typeof status !== 'number' || status < 400 || status >= 500 || !expose) return undefined;
  return { status, code: 'invalid_request', entry: 'refused', message: (error as Error).message };
}

/** The families, in the order they are asked. */
const FAMILIES = [domainAnswer, upstreamAnswer, oidcAnswer, problemAnswer, storeAnswer, koaAnswer];

const SERVER_ERROR: Answer = {
  status: 500,
  code: 'server_error',
  entry: 'server_error',
  internal: true,
};

function words(answer: Answer, params: Params): string {
  const { message, entry } = answer;
  if (typeof message === 'string') return message;
  if (message) return t(message.key, { ...params, ...message.params });
  const key = `error.${entry}.message`;
  return isMessageKey(key) ? t(key, params) : t('error.server_error.message');
}

function resolve(answer: Answer, params: Params): MappedError {
  const seconds = answer.retryAfterSeconds;
  const headers = {
    ...answer.headers,
    ...(seconds === undefined ? {} : { 'Retry-After': String(seconds) }),
  };
  const title = `error.${answer.entry}.title`;
  return {
    status: answer.status,
    code: answer.code,
    title: isMessageKey(title) ? t(title, params) : t('error.refused.title'),
    message: words(answer, params),
    ...(answer.headers || seconds !== undefined ? { headers } : {}),
    ...(answer.fields ? { fields: answer.fields } : {}),
    internal: answer.internal ?? false,
    ...(answer.event ? { event: answer.event } : {}),
    ...(answer.store ? { store: answer.store } : {}),
  };
}

/** The parameters an error's messages are filled with (a form may word the error itself). */
export function paramsOf(error: unknown, extra: Params = {}): Params {
  const seconds = retryAfterOf(error);
  const upstream = UPSTREAM.some(([type]) => error instanceof type);
  return {
    ...(upstream ? { upstream: (error as UpstreamDenied).upstream } : {}),
    // `count` chooses the plural form: the wait in the unit the error's sentence counts in.
    ...(seconds === undefined
      ? {}
      : {
          seconds,
          minutes: Math.ceil(seconds / 60),
          count: error instanceof TooManyAttempts ? Math.ceil(seconds / 60) : seconds,
        }),
    ...extra,
  };
}

/** Status, code, words, headers and log event for any thrown value; `extra` fills in words. */
export function mapError(error: unknown, extra: Params = {}): MappedError {
  for (const family of FAMILIES) {
    const answer = family(error);
    if (answer) {
      return resolve({ retryAfterSeconds: retryAfterOf(error), ...answer }, paramsOf(error, extra));
    }
  }
  return resolve(SERVER_ERROR, {});
}

export const storeUnavailable = (store: Store): MappedError =>
  resolve(storeUnavailableAnswer(store), {});

export const pageNotFound = (): MappedError =>
  resolve({ status: 404, code: 'not_found', entry: 'page_not_found' }, {});
