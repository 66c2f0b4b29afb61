// Errors raised by the HTTP edge itself (bad bodies, CSRF), each with its status.

export class HttpProblem extends Error {
  readonly status: number;
  readonly code: string;
  readonly headers: Readonly<Record<string, string>>;

  constructor(status: number, code: string, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = 'HttpProblem';
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

export const badRequest = (message: string) => new HttpProblem(400, 'invalid_request', message);

export const forbidden = (message: string) => new HttpProblem(403, 'forbidden', message);

export const notFound = (message = 'The page you asked for does not exist.') =>
  new HttpProblem(404, 'not_found', message);
