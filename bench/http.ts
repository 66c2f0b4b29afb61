// Keep-alive HTTP for the benchmark: one agent pair that counts its sockets, an axios instance for
// the shared test Browser, and a fetch for openid-client; every request is labelled and timed.
import http from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import axios, { type AxiosInstance, type InternalAxiosRequestConfig } from 'axios';
import type { CustomFetch } from 'openid-client';

export interface HttpResponse {
  url: URL;
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/**
 * Called once per completed request with its URL, a label such as "POST /token 200", and the
 * instance that answered when the client was told which header names it.
 */
export type RequestListener = (
  url: URL,
  label: string,
  ms: number,
  instance: string | undefined,
) => void;

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

type Counter = { connections: number };

// Node's agents open sockets through createConnection; counting there covers both transports.
function countingAgent<A extends http.Agent>(agent: A, counter: Counter): A {
  const open = agent.createConnection.bind(agent) as (...args: unknown[]) => Duplex;
  agent.createConnection = ((...args: unknown[]) => {
    counter.connections += 1;
    return open(...args);
  }) as typeof agent.createConnection;
  return agent;
}

type TimedConfig = InternalAxiosRequestConfig & { started?: number };

/** Every request of the run goes through here, so sockets are reused and counted in one place. */
export class HttpClient {
  readonly #counter: Counter = { connections: 0 };
  // Reused sockets keep TCP (and TLS) setup out of the latencies: the server is what is measured.
  readonly #agents = {
    'http:': countingAgent(new http.Agent({ keepAlive: true }), this.#counter),
    'https:': countingAgent(new https.Agent({ keepAlive: true }), this.#counter),
  };
  readonly #timeoutMs: number;
  /** The response header naming the instance that answered, lower case (a load balancer's). */
  readonly #instanceHeader: string | undefined;
  requests = 0;
  /** Every phase running listens (flows may run side by side: each picks its server's). */
  readonly listeners = new Set<RequestListener>();
  /** What the browsers of the run send through (test/support/browser.ts). */
  readonly axios: AxiosInstance;

  constructor(timeoutMs: number, instanceHeader?: string) {
    this.#timeoutMs = timeoutMs;
    this.#instanceHeader = instanceHeader?.toLowerCase();
    this.axios = axios.create({
      httpAgent: this.#agents['http:'],
      httpsAgent: this.#agents['https:'],
      timeout: timeoutMs,
    });
    this.axios.interceptors.request.use((config: TimedConfig) => {
      config.started = performance.now();
      return config;
    });
    this.axios.interceptors.response.use((response) => {
      const config = response.config as TimedConfig;
      this.#done(
        (config.method ?? 'get').toUpperCase(),
        new URL(config.url as string),
        response.status,
        config.started as number,
        this.#instanceOf(response.headers[this.#instanceHeader ?? '']),
      );
      return response;
    });
  }

  /** Sockets opened so far; far fewer than `requests` when keep-alive works. */
  get connections(): number {
    return this.#counter.connections;
  }

  #instanceOf(value: unknown): string | undefined {
    if (this.#instanceHeader === undefined) return undefined;
    return typeof value === 'string' && value !== '' ? value : undefined;
  }

  #done(
    method: string,
    url: URL,
    status: number,
    started: number,
    instance: string | undefined,
  ): void {
    this.requests += 1;
    const label = requestLabel(method, url, status);
    const ms = performance.now() - started;
    for (const listener of this.listeners) listener(url, label, ms, instance);
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
      req.once('error', reject);
      req.once('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.once('error', reject);
        res.once('end', () => {
          const status = res.statusCode ?? 0;
          this.#done(
            method,
            url,
            status,
            started,
            this.#instanceOf(res.headers[this.#instanceHeader ?? '']),
          );
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
