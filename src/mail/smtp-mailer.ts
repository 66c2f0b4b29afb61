// Sends mail through the operator's SMTP relay from a bounded in-memory queue: a few at a time,
// each retried with exponential backoff, every outcome logged without the address or the links.
import nodemailer from 'nodemailer';
import type { Logger } from '../logger.ts';
import { type Mailer, type MailRequest, recipientDomain } from './mailer.ts';
import { InvalidMailValues, type MailTemplates, type RenderedMail } from './templates.ts';

export interface SmtpMailerOptions {
  /** smtp:// or smtps://, optionally with user:password (never logged). */
  smtpUrl: string;
  from: string;
  /** Messages held at once (waiting, being sent or waiting to retry); more are dropped. */
  queueLimit: number;
  templates: MailTemplates;
  logger: Logger;
  /** Messages sent at the same time. */
  concurrency?: number;
  /** Tries per message, the first included. */
  attempts?: number;
  /** Wait before the first retry; each later one waits twice as long (tests shorten it). */
  backoffMs?: number;
  /** Connection, greeting and socket timeouts of one try. */
  timeoutMs?: number;
}

interface Job {
  mail: MailRequest;
  rendered?: RenderedMail;
  attempt: number;
}

export const DEFAULT_MAIL_ATTEMPTS = 4;
export const DEFAULT_MAIL_BACKOFF_MS = 2000;
export const DEFAULT_MAIL_CONCURRENCY = 2;
export const DEFAULT_CLOSE_TIMEOUT_MS = 10_000;

/** An SMTP answer may quote the recipient: every address in it is replaced before logging. */
function describeError(error: unknown) {
  const e = error as {
    code?: unknown;
    responseCode?: unknown;
    command?: unknown;
    message?: unknown;
  };
  const message = typeof e.message === 'string' ? e.message : String(error);
  return {
    code: typeof e.code === 'string' ? e.code : undefined,
    responseCode: typeof e.responseCode === 'number' ? e.responseCode : undefined,
    command: typeof e.command === 'string' ? e.command : undefined,
    reason: message.replace(/[^\s<>()[\]:;,"']+@[^\s<>()[\]:;,"']+/g, '<address>').slice(0, 300),
  };
}

/** A 5xx answer refuses this message for good; connection failures and 4xx may pass later. */
function isPermanent(error: unknown): boolean {
  const code = (error as { responseCode?: unknown }).responseCode;
  return typeof code === 'number' && code >= 500 && code < 600;
}

export class SmtpMailer implements Mailer {
  readonly #transport: ReturnType<typeof nodemailer.createTransport>;
  readonly #from: string;
  readonly #limit: number;
  readonly #templates: MailTemplates;
  readonly #log: Logger;
  readonly #concurrency: number;
  readonly #attempts: number;
  readonly #backoffMs: number;
  readonly #waiting: Job[] = [];
  readonly #retries = new Map<NodeJS.Timeout, Job>();
  #active = 0;
  /** close() was called: no new messages. */
  #closed = false;
  /** close() is done: no more retries either. */
  #finished = false;
  #idleWaiters: (() => void)[] = [];

  constructor(options: SmtpMailerOptions) {
    const timeout = options.timeoutMs ?? 10_000;
    this.#transport = nodemailer.createTransport({
      url: options.smtpUrl,
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: timeout * 3,
    });
    this.#from = options.from;
    this.#limit = options.queueLimit;
    this.#templates = options.templates;
    this.#log = options.logger;
    this.#concurrency = options.concurrency ?? DEFAULT_MAIL_CONCURRENCY;
    this.#attempts = options.attempts ?? DEFAULT_MAIL_ATTEMPTS;
    this.#backoffMs = options.backoffMs ?? DEFAULT_MAIL_BACKOFF_MS;
  }

  /** Messages held: waiting, being sent, or waiting to be retried. */
  get held(): number {
    return this.#waiting.length + this.#active + this.#retries.size;
  }

  send(mail: MailRequest): void {
    try {
      const what = { template: mail.template, domain: recipientDomain(String(mail.to)) };
      if (this.#closed || this.held >= this.#limit) {
        const reason = this.#closed ? 'closed' : 'queue_full';
        this.#log.error(
          { event: 'mail.dropped', ...what, reason, limit: this.#limit },
          this.#closed ? 'mail dropped: shutting down' : 'mail dropped: the queue is full',
        );
        return;
      }
      this.#waiting.push({ mail, attempt: 0 });
      // Rendering and sending start after the caller's request has moved on.
      setImmediate(() => this.#pump());
    } catch (error) {
      // Nothing reaches the caller, whatever it passed.
      this.#log.error({ event: 'mail.dropped', reason: 'error', err: describeError(error) });
    }
  }

  idle(): Promise<void> {
    if (this.held === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  async close(timeoutMs = DEFAULT_CLOSE_TIMEOUT_MS): Promise<void> {
    this.#closed = true;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.idle(),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
        timer.unref();
      }),
    ]);
    clearTimeout(timer);
    this.#finished = true;
    const left = [...this.#waiting, ...this.#retries.values()];
    for (const t of this.#retries.keys()) clearTimeout(t);
    this.#retries.clear();
    this.#waiting.length = 0;
    for (const job of left) this.#dropped(job, 'shutdown');
    this.#transport.close();
    this.#settle();
  }

  #dropped(job: Job, reason: string) {
    this.#log.error(
      {
        event: 'mail.dropped',
        template: job.mail.template,
        domain: recipientDomain(job.mail.to),
        reason,
        attempt: job.attempt,
      },
      'mail dropped: not sent before shutdown',
    );
  }

  #pump() {
    while (this.#active < this.#concurrency && this.#waiting.length > 0) {
      const job = this.#waiting.shift() as Job;
      this.#active += 1;
      void this.#try(job).finally(() => {
        this.#active -= 1;
        this.#pump();
        this.#settle();
      });
    }
    this.#settle();
  }

  #settle() {
    if (this.held > 0) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  async #try(job: Job): Promise<void> {
    const what = { template: job.mail.template, domain: recipientDomain(job.mail.to) };
    job.attempt += 1;
    const started = Date.now();
    try {
      job.rendered ??= this.#templates.render(job.mail);
      const { subject, text, html } = job.rendered;
      await this.#transport.sendMail({ from: this.#from, to: job.mail.to, subject, text, html });
      this.#log.debug(
        { event: 'mail.sent', ...what, attempt: job.attempt, ms: Date.now() - started },
        'mail sent',
      );
    } catch (error) {
      if (error instanceof InvalidMailValues) {
        this.#log.error(
          { event: 'mail.failed', ...what, attempt: job.attempt, reason: error.message },
          'mail not sent: it cannot be rendered',
        );
        return;
      }
      const detail = describeError(error);
      if (this.#finished) {
        this.#dropped(job, 'shutdown');
        return;
      }
      if (job.attempt >= this.#attempts || isPermanent(error)) {
        this.#log.error(
          { event: 'mail.failed', ...what, attempt: job.attempt, ...detail },
          isPermanent(error) ? 'mail refused by the relay' : 'mail not sent after the last try',
        );
        return;
      }
      const waitMs = this.#backoffMs * 2 ** (job.attempt - 1);
      this.#log.warn(
        { event: 'mail.retry', ...what, attempt: job.attempt, retryInMs: waitMs, ...detail },
        'mail not sent; will retry',
      );
      const timer = setTimeout(() => {
        this.#retries.delete(timer);
        this.#waiting.push(job);
        this.#pump();
      }, waitMs);
      // Shutdown waits for retries through close(); a pending retry alone keeps nothing alive.
      timer.unref();
      this.#retries.set(timer, job);
    }
  }
}
