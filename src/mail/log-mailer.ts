// Without SMTP_URL mail is not sent. In development and tests each message is logged with its
// links, so a developer can follow them; that is why production refuses to run without SMTP_URL
// while sign-up is open, and why, there, only the template and the recipient's domain are logged.
import type { Logger } from '../logger.ts';
import { type Mailer, type MailRequest, recipientDomain } from './mailer.ts';

export class LogMailer implements Mailer {
  readonly #log: Logger;
  readonly #reveal: boolean;
  #closed = false;

  /** `revealValues`: log the recipient and the values (links, tokens); never in production. */
  constructor(logger: Logger, options: { revealValues: boolean }) {
    this.#log = logger;
    this.#reveal = options.revealValues;
  }

  send(mail: MailRequest): void {
    try {
      if (this.#closed) return;
      const what = { event: 'mail.not_sent', template: mail.template, locale: mail.locale };
      if (this.#reveal) {
        this.#log.info(
          { ...what, to: mail.to, values: { ...mail.values } },
          'SMTP_URL is not set: mail logged, not sent (development only)',
        );
      } else {
        this.#log.warn(
          { ...what, domain: recipientDomain(String(mail.to)) },
          'SMTP_URL is not set: mail not sent',
        );
      }
    } catch {
      // A logger that throws must not reach the caller either.
    }
  }

  idle(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.#closed = true;
    return Promise.resolve();
  }
}
