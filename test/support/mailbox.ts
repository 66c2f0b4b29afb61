// Where a test reads the mail a server sent it: the test server's own catcher, or, for a server
// in another process or container, a MailDev REST API (compose's mail service, or the catcher's
// stand-in of it). The sign-up helpers find a server's mailbox by its origin.
import axios from 'axios';
import type { MailCatcher, MailDevMessage } from './mail-catcher.ts';

export interface Received {
  subject: string;
  text: string;
  html: string;
  /** Every http(s) URL in the plain text, in order. */
  links: string[];
}

export interface Mailbox {
  /** The next message to `to` not taken yet; waits for it (default 10 s). */
  waitFor(to: string, options?: { timeoutMs?: number }): Promise<Received>;
}

const LINK = /https?:\/\/[^\s<>"')]+/g;
const boxes = new Map<string, Mailbox>();

export function registerMailbox(origin: string, box: Mailbox): void {
  boxes.set(new URL(origin).origin, box);
}

export function forgetMailbox(origin: string): void {
  boxes.delete(new URL(origin).origin);
}

export function hasMailbox(origin: string): boolean {
  return boxes.has(new URL(origin).origin);
}

export function mailboxFor(origin: string): Mailbox {
  const box = boxes.get(new URL(origin).origin);
  if (!box) throw new Error(`no mailbox is registered for ${origin}`);
  return box;
}

export function catcherMailbox(catcher: MailCatcher): Mailbox {
  return { waitFor: (to, options = {}) => catcher.waitFor(to, { timeoutMs: 10_000, ...options }) };
}

/** Polls MailDev's `GET /email`; each message is handed out once. */
export function mailDevMailbox(apiUrl: string): Mailbox {
  const taken = new Set<string>();
  return {
    async waitFor(to, options = {}) {
      const deadline = Date.now() + (options.timeoutMs ?? 10_000);
      for (;;) {
        const { data } = await axios.get<MailDevMessage[]>(`${apiUrl}/email`, { timeout: 5000 });
        const found = data.find(
          (m) => !taken.has(m.id) && m.to.some((r) => r.address.toLowerCase() === to.toLowerCase()),
        );
        if (found) {
          taken.add(found.id);
          const text = found.text ?? '';
          return {
            subject: found.subject,
            text,
            html: found.html ?? '',
            links: text.match(LINK) ?? [],
          };
        }
        if (Date.now() > deadline) throw new Error(`no mail to ${to} at ${apiUrl}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
  };
}
