// A relying party's back-channel logout endpoint for tests: collects logout tokens, and can answer
// the next deliveries with an error to exercise retries.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LogoutReceiver {
  url: string;
  /** Every logout token received and accepted, in order. */
  tokens: string[];
  /** Waits for the `count`th token from now (default the next one). */
  next(count?: number, timeoutMs?: number): Promise<string[]>;
  /** The next `n` deliveries are answered 500. */
  failNext(n: number): void;
  close(): Promise<void>;
}

export async function startLogoutReceiver(): Promise<LogoutReceiver> {
  const tokens: string[] = [];
  let seen = 0;
  let failing = 0;
  const waiters = new Set<() => void>();
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
    });
    req.on('end', () => {
      if (failing > 0) {
        failing -= 1;
        res.writeHead(500).end();
        return;
      }
      const token = new URLSearchParams(body).get('logout_token');
      if (req.method !== 'POST' || !token) {
        res.writeHead(400).end();
        return;
      }
      tokens.push(token);
      res.writeHead(200, { 'cache-control': 'no-store' }).end();
      for (const wake of waiters) wake();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/backchannel-logout`,
    tokens,
    async next(count = 1, timeoutMs = 5000) {
      const want = seen + count;
      const deadline = Date.now() + timeoutMs;
      while (tokens.length < want) {
        if (Date.now() > deadline) {
          throw new Error(`expected ${count} logout token(s), got ${tokens.length - seen}`);
        }
        await new Promise<void>((resolve) => {
          const wake = () => {
            waiters.delete(wake);
            resolve();
          };
          waiters.add(wake);
          setTimeout(wake, 100);
        });
      }
      const out = tokens.slice(seen, want);
      seen = want;
      return out;
    },
    failNext(n) {
      failing = n;
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
