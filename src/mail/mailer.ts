// What the rest of Latchkey sees of mail: one message asked for, sent later, never awaited.
import type { Locale } from '../i18n/locales.ts';

/** Every message Latchkey sends. */
export type MailTemplate = 'verify-email' | 'email-changed' | 'sign-up-attempt' | 'reset-password';

export interface MailRequest {
  to: string;
  template: MailTemplate;
  /** What the message shows: links and names (see templates.ts per template); never logged. */
  values: Readonly<Record<string, string>>;
  /** The language of the request that caused it. */
  locale: Locale;
}

export interface Mailer {
  /** Queues the message and returns at once; delivery problems are logged, never thrown. */
  send(mail: MailRequest): void;
  /** Resolves when nothing is queued or being sent (tests, shutdown). */
  idle(): Promise<void>;
  /** Stops taking messages, waits up to `timeoutMs` for the queue, closes the transport. */
  close(timeoutMs?: number): Promise<void>;
}

/** The part of an address logs may show: its domain, lowercased (never the whole address). */
export function recipientDomain(to: string): string {
  const at = to.lastIndexOf('@');
  return at < 0 ? '(none)' : to.slice(at + 1).toLowerCase();
}
