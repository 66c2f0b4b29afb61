// Errors raised by the HTTP edge itself (bad bodies, CSRF), each with its status and message key.
import { type MessageKey, type Params, t } from '../i18n/t.ts';

export class HttpProblem extends Error {
  readonly status: number;
  readonly code: string;
  readonly key: MessageKey;
  readonly params: Params;
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    status: number,
    code: string,
    key: MessageKey,
    params: Params = {},
    headers: Record<string, string> = {},
  ) {
    super(t(key, params));
    this.name = 'HttpProblem';
    this.status = status;
    this.code = code;
    this.key = key;
    this.params = params;
    this.headers = headers;
  }
}

export const badRequest = (key: MessageKey, params?: Params) =>
  new HttpProblem(400, 'invalid_request', key, params);

export const forbidden = (key: MessageKey, params?: Params) =>
  new HttpProblem(403, 'forbidden', key, params);

export const notFound = (key: MessageKey = 'error.page_not_found.message') =>
  new HttpProblem(404, 'not_found', key);
