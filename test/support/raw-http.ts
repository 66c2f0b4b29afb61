// HTTP requests with full control over the bytes: chunked bodies, odd headers, any method.
import { type Agent, request } from 'node:http';

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  ms: number;
}

export interface RawRequest {
  method: string;
  url: string;
  headers?: Record<string, string | string[]>;
  /** Each entry is written separately; without a content-length header the body goes chunked. */
  chunks?: (string | Buffer)[];
  /** Pause between chunks, as a slow client would (the first chunk goes at once). */
  intervalMs?: number;
  agent?: Agent | false;
  timeoutMs?: number;
}

/**
 * Sends one request. A response that arrives before the server stops reading the body still
 * counts: the server may close the connection on a body it refused, as HTTP allows.
 */
export function rawRequest(options: RawRequest): Promise<RawResponse> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    let settled = false;
    const req = request(options.url, {
      method: options.method,
      headers: options.headers ?? {},
      agent: options.agent ?? false,
      timeout: options.timeoutMs ?? 10_000,
    });
    req.on('timeout', () => req.destroy(new Error('timed out waiting for the response')));
    req.on('error', (error) => {
      if (!settled) {
        settled = true;
        reject(error);
      }
    });
    req.on('response', (res) => {
      const parts: Buffer[] = [];
      res.on('data', (chunk: Buffer) => parts.push(chunk));
      const done = () => {
        if (settled) return;
        settled = true;
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(parts).toString('utf8'),
          ms: performance.now() - started,
        });
      };
      res.on('end', done);
      res.on('error', (error) => {
        if (settled) return;
        settled = true;
        reject(error);
      });
    });
    const chunks = [...(options.chunks ?? [])];
    const interval = options.intervalMs ?? 0;
    const writeNext = () => {
      if (req.destroyed) return;
      const chunk = chunks.shift();
      if (chunk === undefined) {
        req.end();
        return;
      }
      req.write(chunk);
      if (interval > 0) setTimeout(writeNext, interval);
      else writeNext();
    };
    writeNext();
  });
}
