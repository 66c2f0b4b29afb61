// Keep-alive HTTP for the benchmark: one agent pair, a cookie-jar browser, and a fetch for openid-client.
import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import type { CustomFetch } from 'openid-client';
import { CookieJar } from 'tough-cookie';
import { scrapeForms } from '../test/support/browser.ts';

export interface HttpResponse {
  url: URL;
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** Called once per completed request with a label such as "POST /token 200". */
export type RequestListener = (label: string, ms: number) => void;

// Interaction uids, authorization resume ids and the like are random and at least 16 characters.
const RANDOM_SEGMENT = /^[A-Za-z0-9_-]{16,}$/;

/** The request's method and path with random segments folded, plus the status it got. */
export function requestLabel(method: string, url: URL, status: number): string {
  const path = url.pathname
    .split('/')
    .map((s) => (RANDOM_SEGMENT.test(s) ? ':id' : s))
    .join('/');
  return `${method} ${path} ${status}`;
}

/** Every request of the run goes through here, so sockets are reused and counted in one place. */
export class HttpClient {
  // Reused sockets keep TCP (and TLS) setup out of the latencies: the server is what is measured.
  readonly #agents = {
    'http:': new http.Agent({ keepAlive: true }),
    'https:': new https.Agent({ keepAlive: true }),
  };
  readonly #seen = new WeakSet<Socket>();
  readonly #timeoutMs: number;
  /** Sockets opened so far; far fewer than `requests` when keep-alive works. */
  connections = 0;
  requests = 0;
  onRequest: RequestListener | undefined;

  constructor(timeoutMs: number) {
    this.#timeoutMs = timeoutMs;
  }

  request(
    method: string,
    url: URL,
    headers: Record<string, string> = {},
    body?: string | Buffer,
    signal?: AbortSignal,
  ): Promise<HttpResponse> {
    const started = performance.now();
    const transport = url.protocol === 'https:' ? https : http;
    const agent = url.protocol === 'https:' ? this.#agents['https:'] : this.#agents['http:'];
    return new Promise<HttpResponse>((resolve, reject) => {
      const req = transport.request(url, {
        method,
        agent,
        headers:
          body === undefined
            ? headers
            : { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        signal,
      });
      req.setTimeout(this.#timeoutMs, () => {
        req.destroy(new Error(`${method} ${url.pathname}: no answer in ${this.#timeoutMs} ms`));
      });
      req.on('socket', (socket) => {
        if (this.#seen.has(socket)) return;
        this.#seen.add(socket);
        this.connections += 1;
      });
      req.once('error', reject);
      req.once('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.once('error', reject);
        res.once('end', () => {
          const status = res.statusCode ?? 0;
          this.requests += 1;
          this.onRequest?.(requestLabel(method, url, status), performance.now() - started);
          resolve({ url, status, headers: res.headers, body: Buffer.concat(chunks) });
        });
      });
      req.end(body);
    });
  }

  /** openid-client's transport: the same agents, so token and userinfo calls reuse sockets too. */
  readonly fetch: CustomFetch = async (url, options) => {
    const body = options.body;
    let payload: string | Buffer | undefined;
    if (body === undefined || body === null) payload = undefined;
    else if (typeof body === 'string') payload = body;
    else if (body instanceof URLSearchParams) payload = body.toString();
    else if (body instanceof ArrayBuffer) payload = Buffer.from(body);
    else if (body instanceof Uint8Array) payload = Buffer.from(body);
    else throw new TypeError('streamed request bodies are not supported');
    const res = await this.request(
      options.method,
      new URL(url),
      options.headers,
      payload,
      options.signal,
    );
    const headers = new Headers();
    for (const [name, value] of Object.entries(res.headers)) {
      if (Array.isArray(value)) for (const v of value) headers.append(name, v);
      else if (value !== undefined) headers.set(name, value);
    }
    // The Response constructor refuses a body for these statuses.
    const bodiless = [101, 204, 205, 304].includes(res.status);
    return new Response(bodiless ? null : new Uint8Array(res.body), {
      status: res.status,
      headers,
    });
  };

  close(): void {
    this.#agents['http:'].destroy();
    this.#agents['https:'].destroy();
  }
}

export interface Page {
  response: HttpResponse;
  html: string;
}

/** Where a chain of redirects ended: a page on the issuer, or a URL on another origin (not fetched). */
export interface Followed {
  page: Page;
  external?: URL;
}

/** A person's browser: its own cookie jar, manual redirects, forms posted like a same-origin page. */
export class Browser {
  readonly #http: HttpClient;
  readonly #jar = new CookieJar();
  readonly origin: string;

  constructor(client: HttpClient, origin: string) {
    this.#http = client;
    this.origin = origin;
  }

  async #send(method: string, url: URL, headers: Record<string, string>, body?: string) {
    // The sync jar methods work on the in-memory store and skip a promise per cookie.
    const cookie = this.#jar.getCookieStringSync(url);
    const response = await this.#http.request(
      method,
      url,
      cookie ? { ...headers, cookie } : headers,
      body,
    );
    const setCookie = response.headers['set-cookie'] ?? [];
    for (const header of setCookie) this.#jar.setCookieSync(header, url, { ignoreError: true });
    return { response, html: response.body.toString('utf8') };
  }

  get(url: URL | string): Promise<Page> {
    return this.#send('GET', new URL(url, this.origin), { accept: 'text/html' });
  }

  post(url: URL | string, fields: Record<string, string>): Promise<Page> {
    return this.#send(
      'POST',
      new URL(url, this.origin),
      {
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'text/html',
        origin: this.origin,
        'sec-fetch-site': 'same-origin',
      },
      new URLSearchParams(fields).toString(),
    );
  }

  /** Posts the page's form whose action ends with `actionEnd`, hidden fields included. */
  submit(page: Page, actionEnd: string, values: Record<string, string>): Promise<Page> {
    // By the end of the action: the sign-in page also holds other forms for the same interaction.
    const form = scrapeForms(page.html).find((f) => f.action.endsWith(actionEnd));
    if (!form) {
      throw new Error(`no form posting to *${actionEnd} on ${page.response.url.pathname}`);
    }
    return this.post(new URL(form.action, page.response.url), { ...form.fields, ...values });
  }

  /** Follows redirects until a page is reached or one points away from the issuer's origin. */
  async follow(start: Page, max = 10): Promise<Followed> {
    let page = start;
    for (let i = 0; i < max; i++) {
      const { status, headers, url } = page.response;
      const location = headers.location;
      if (status < 300 || status >= 400 || !location) return { page };
      const next = new URL(location, url);
      if (next.origin !== this.origin) return { page, external: next };
      page = await this.get(next);
    }
    throw new Error(`more than ${max} redirects from ${start.response.url.pathname}`);
  }
}
