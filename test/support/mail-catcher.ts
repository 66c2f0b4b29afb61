// A local SMTP server that keeps every message it is sent, parsed, so tests can read the mail a
// server sent: the only mail relay in the tests, faked at the network boundary like the upstreams.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface Mail {
  /** The envelope recipient (one Mail per recipient). */
  to: string;
  /** The From header as written, e.g. `"Latchkey" <no-reply@127.0.0.1>`. */
  from: string;
  subject: string;
  text: string;
  /** The HTML part; '' when there is none. */
  html: string;
  /** Every http(s) URL in the plain text, in order. */
  links: string[];
  /** The message as received (headers and MIME parts). */
  raw: string;
}

export interface WaitOptions {
  subject?: RegExp;
  /** Default 5000 ms. */
  timeoutMs?: number;
}

export interface MailCatcher {
  /** smtp://127.0.0.1:<port>, for SMTP_URL. */
  url: string;
  port: number;
  /** The first message to `to` (matching `subject`) not yet taken by an earlier call; waits for one. */
  waitFor(to: string, options?: WaitOptions): Promise<Mail>;
  /** Every message received so far, taken or not. */
  all(): Mail[];
  /** Forgets every message (and any refusals still planned). */
  clear(): void;
  /** Answers the next `count` messages with a refusal (451 by default: temporary, so retried). */
  refuseNext(count: number, options?: { code?: number }): void;
  /** Messages refused so far. */
  refused(): number;
  /** The user names clients authenticated with (any password is accepted). */
  logins(): string[];
  /** With `http`: MailDev's `GET /email` answered at this URL, for a reader in another process. */
  apiUrl?: string;
  stop(): Promise<void>;
}

/** One message as MailDev's REST API lists it (the fields the tests read). */
export interface MailDevMessage {
  id: string;
  to: { address: string }[];
  subject: string;
  text: string;
  html: string;
}

/** MailDev's `GET /email`, over what the catcher received, so one reader serves both. */
function serveMailDevApi(all: () => Mail[]): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url !== '/email') {
      res.writeHead(404).end();
      return;
    }
    const list: MailDevMessage[] = all().map((mail, i) => ({
      id: String(i),
      to: [{ address: mail.to }],
      subject: mail.subject,
      text: mail.text,
      html: mail.html,
    }));
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(list));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }),
    );
  });
}

const LINK = /https?:\/\/[^\s<>"')]+/g;

export async function startMailCatcher(options: { http?: boolean } = {}): Promise<MailCatcher> {
  const received: { mail: Mail; taken: boolean }[] = [];
  const waiters = new Set<() => void>();
  const users: string[] = [];
  let refuse = { count: 0, code: 451 };
  let refusedCount = 0;

  const server = new SMTPServer({
    authOptional: true,
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    disableReverseLookup: true,
    logger: false,
    // Connections left open by a client are cut quickly when the test stops the catcher.
    closeTimeout: 200,
    onAuth(auth, _session, callback) {
      users.push(String(auth.username));
      callback(null, { user: auth.username });
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        if (refuse.count > 0) {
          refuse.count -= 1;
          refusedCount += 1;
          const error = Object.assign(new Error('Try again later (refused by the test)'), {
            responseCode: refuse.code,
          });
          callback(error);
          return;
        }
        const raw = Buffer.concat(chunks).toString('utf8');
        simpleParser(raw).then(
          (parsed) => {
            const text = parsed.text ?? '';
            for (const rcpt of session.envelope.rcptTo) {
              received.push({
                taken: false,
                mail: {
                  to: rcpt.address,
                  from: parsed.from?.text ?? '',
                  subject: parsed.subject ?? '',
                  text,
                  html: typeof parsed.html === 'string' ? parsed.html : '',
                  links: text.match(LINK) ?? [],
                  raw,
                },
              });
            }
            for (const wake of [...waiters]) wake();
            callback();
          },
          (error: Error) => callback(error),
        );
      });
    },
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  // Errors after start (a client dropping its connection) are not the test's concern.
  server.on('error', () => {});
  const port = (server.server.address() as AddressInfo).port;

  const take = (to: string, subject?: RegExp): Mail | undefined => {
    const entry = received.find(
      (r) =>
        !r.taken &&
        r.mail.to.toLowerCase() === to.toLowerCase() &&
        (!subject || subject.test(r.mail.subject)),
    );
    if (!entry) return undefined;
    entry.taken = true;
    return entry.mail;
  };

  const all = () => received.map((r) => r.mail);
  const api = options.http ? await serveMailDevApi(all) : undefined;

  return {
    url: `smtp://127.0.0.1:${port}`,
    port,
    ...(api ? { apiUrl: api.url } : {}),
    waitFor(to, options = {}) {
      const found = take(to, options.subject);
      if (found) return Promise.resolve(found);
      const timeoutMs = options.timeoutMs ?? 5000;
      return new Promise<Mail>((resolve, reject) => {
        const check = () => {
          const mail = take(to, options.subject);
          if (!mail) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(mail);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          const seen = received.map((r) => `${r.mail.to}: ${r.mail.subject}`);
          reject(
            new Error(
              `no mail to ${to}${options.subject ? ` matching ${options.subject}` : ''} within ${timeoutMs} ms; received: ${seen.length > 0 ? seen.join('; ') : 'none'}`,
            ),
          );
        }, timeoutMs);
        waiters.add(check);
      });
    },
    all,
    clear() {
      received.length = 0;
      refuse = { count: 0, code: 451 };
    },
    refuseNext(count, options = {}) {
      refuse = { count, code: options.code ?? 451 };
    },
    refused: () => refusedCount,
    logins: () => [...users],
    async stop() {
      if (api) {
        api.server.closeAllConnections();
        await new Promise<void>((resolve) => api.server.close(() => resolve()));
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
