// A relying party's back-channel logout endpoint for the e2e client: keeps each logout_token
// posted to /backchannel-logout and answers 200, so the test can verify what arrived.
import { createServer, type Server } from 'node:http';

export class LogoutReceiver {
  readonly #host: string;
  readonly #port: number;
  readonly #tokens: string[] = [];
  #server: Server | undefined;

  /** listen: "host:port" */
  constructor(listen: string) {
    const at = listen.lastIndexOf(':');
    this.#host = listen.slice(0, at);
    this.#port = Number(listen.slice(at + 1));
  }

  async start() {
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => {
        body += String(chunk);
      });
      req.on('end', () => {
        const token = new URLSearchParams(body).get('logout_token');
        if (req.method === 'POST' && req.url === '/backchannel-logout' && token) {
          this.#tokens.push(token);
          res.writeHead(200, { 'cache-control': 'no-store' }).end();
        } else {
          res.writeHead(400).end();
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(this.#port, this.#host, resolve));
    this.#server = server;
  }

  /** The next token to arrive (or one already waiting), within `ms`. */
  async next(ms: number): Promise<string> {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      const token = this.#tokens.shift();
      if (token) return token;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`no logout token arrived within ${ms} ms`);
  }

  stop() {
    this.#server?.close();
  }
}
