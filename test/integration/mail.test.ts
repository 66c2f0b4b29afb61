// Mail leaves through the operator's relay (here a local SMTP catcher) from a queue: retried when
// the relay refuses for a while, logged and given up when it keeps refusing, dropped when too much
// waits; nothing reaches the request that asked for it, and logs never hold an address or a link.
import { expect } from 'chai';
import type { MailRequest } from '../../src/mail/mailer.ts';
import { SmtpMailer } from '../../src/mail/smtp-mailer.ts';
import { MAIL_VIEWS_DIR, MailTemplates } from '../../src/mail/templates.ts';
import { capturingLogger } from '../support/captured-logs.ts';
import { type MailCatcher, startMailCatcher } from '../support/mail-catcher.ts';
import { startTestServer, type TestServer, useServer } from '../support/server.ts';

const reset = (to: string, token = 'r3s3t-t0k3n'): MailRequest => ({
  to,
  template: 'reset-password',
  values: { link: `http://127.0.0.1/reset?token=${token}` },
  locale: 'en',
});

const eventsOf = (logs: Record<string, unknown>[], event: string) =>
  logs.filter((line) => line.event === event);

/** Every log line mentioning mail, as text: what must never hold an address, link or password. */
const mailLogText = (logs: Record<string, unknown>[]) =>
  JSON.stringify(logs.filter((l) => String(l.event ?? '').startsWith('mail.')));

describe('mail', () => {
  describe('through the relay', () => {
    const server = useServer();

    beforeEach(() => server.mail.clear());

    it('delivers a message with a text and an HTML part, from MAIL_FROM, to the address asked for', async () => {
      server.latchkey.mailer.send({
        to: 'ana.mail@example.com',
        template: 'verify-email',
        values: { link: `${server.issuer}/verify?token=abc`, email: 'ana.mail@example.com' },
        locale: 'de',
      });
      const mail = await server.mail.waitFor('ana.mail@example.com');
      expect(mail.from).to.equal(`"Latchkey" <no-reply@127.0.0.1>`);
      expect(mail.from).to.equal(server.config.mail.from);
      expect(mail.subject).to.equal('Bestätigen Sie Ihre E-Mail-Adresse für Latchkey');
      expect(mail.raw).to.match(/Content-Type: multipart\/alternative/i);
      expect(mail.raw).to.match(/Content-Type: text\/plain; charset=utf-8/i);
      expect(mail.raw).to.match(/Content-Type: text\/html; charset=utf-8/i);
      expect(mail.text).to.include('24 Stunden');
      expect(mail.html).to.include('<html lang="de" dir="ltr">');
      expect(mail.links).to.deep.equal([`${server.issuer}/verify?token=abc`]);
      await server.latchkey.mailer.idle();
      const sent = eventsOf(server.logs, 'mail.sent').at(-1);
      expect(sent).to.include({ level: 'debug', template: 'verify-email', domain: 'example.com' });
    });

    it('retries a message the relay refuses twice, then delivers it', async () => {
      server.mail.refuseNext(2);
      const before = eventsOf(server.logs, 'mail.retry').length;
      server.latchkey.mailer.send(reset('retry.me@example.com'));
      const mail = await server.mail.waitFor('retry.me@example.com');
      expect(mail.subject).to.equal('Reset your Latchkey password');
      expect(server.mail.refused()).to.be.at.least(2);
      const retries = eventsOf(server.logs, 'mail.retry').slice(before);
      expect(retries.map((r) => r.attempt)).to.deep.equal([1, 2]);
      expect(retries[0]).to.include({
        level: 'warn',
        template: 'reset-password',
        domain: 'example.com',
        responseCode: 451,
      });
      expect(retries.map((r) => r.retryInMs)).to.deep.equal([10, 20]);
      await server.latchkey.mailer.idle();
      expect(eventsOf(server.logs, 'mail.sent').at(-1)).to.include({ attempt: 3 });
    });

    it('gives up after the fourth refusal, logs it, throws nothing, and keeps answering', async () => {
      server.mail.refuseNext(10);
      const failedBefore = eventsOf(server.logs, 'mail.failed').length;
      expect(() => server.latchkey.mailer.send(reset('never.arrives@example.com'))).not.to.throw();
      await server.latchkey.mailer.idle();
      const failed = eventsOf(server.logs, 'mail.failed').slice(failedBefore);
      expect(failed).to.have.length(1);
      expect(failed[0]).to.include({
        level: 'error',
        template: 'reset-password',
        domain: 'example.com',
        attempt: 4,
      });
      expect(server.mail.all()).to.deep.equal([]);
      const health = await fetch(`${server.issuer}/readyz`);
      expect(health.status).to.equal(200);
    });

    it('gives up at once when the relay refuses for good (5xx)', async () => {
      server.mail.refuseNext(1, { code: 550 });
      const failedBefore = eventsOf(server.logs, 'mail.failed').length;
      server.latchkey.mailer.send(reset('unknown.user@example.com'));
      await server.latchkey.mailer.idle();
      const failed = eventsOf(server.logs, 'mail.failed').slice(failedBefore);
      expect(failed).to.have.length(1);
      expect(failed[0]).to.include({ attempt: 1, responseCode: 550 });
    });

    it('logs a message it cannot render as failed, without sending or retrying it', async () => {
      const failedBefore = eventsOf(server.logs, 'mail.failed').length;
      server.latchkey.mailer.send({ ...reset('bad.values@example.com'), values: {} });
      await server.latchkey.mailer.idle();
      const failed = eventsOf(server.logs, 'mail.failed').slice(failedBefore);
      expect(failed).to.have.length(1);
      expect(failed[0]?.reason).to.equal('mail "reset-password": value "link" is missing');
      expect(server.mail.all()).to.deep.equal([]);
    });

    it('never logs the address, the link or its token', async () => {
      server.mail.refuseNext(1);
      server.latchkey.mailer.send(reset('secret.person@example.com', 'tok-9f8e7d'));
      await server.mail.waitFor('secret.person@example.com');
      await server.latchkey.mailer.idle();
      const text = mailLogText(server.logs);
      expect(text).to.include('mail.retry');
      expect(text).not.to.include('secret.person');
      expect(text).not.to.include('tok-9f8e7d');
      expect(text).not.to.include('/reset');
    });
  });

  describe('with a relay that asks for a password', () => {
    let catcher: MailCatcher;
    let server: TestServer;
    const password = 'relay-pa55-6b2e';

    before(async () => {
      catcher = await startMailCatcher();
      server = await startTestServer({
        env: { SMTP_URL: `smtp://latchkey:${password}@127.0.0.1:${catcher.port}` },
      });
    });
    after(async () => {
      await server?.stop();
      await catcher?.stop();
    });

    it('signs in to it and never logs the password', async () => {
      catcher.refuseNext(1);
      server.latchkey.mailer.send(reset('with.auth@example.com'));
      await catcher.waitFor('with.auth@example.com');
      await server.latchkey.mailer.idle();
      expect(catcher.logins()).to.include('latchkey');
      expect(JSON.stringify(server.logs)).not.to.include(password);
      // The server's own catcher got nothing: SMTP_URL pointed elsewhere.
      expect(server.mail.all()).to.deep.equal([]);
    });
  });

  describe('with a small queue', () => {
    const server = useServer({ env: { MAIL_QUEUE_LIMIT: '2' } });

    it('drops what does not fit and logs each drop', async () => {
      for (let i = 0; i < 5; i++) server.latchkey.mailer.send(reset(`queued.${i}@example.org`));
      const dropped = eventsOf(server.logs, 'mail.dropped');
      expect(dropped).to.have.length(3);
      expect(dropped[0]).to.include({
        level: 'error',
        reason: 'queue_full',
        limit: 2,
        template: 'reset-password',
        domain: 'example.org',
      });
      await server.mail.waitFor('queued.0@example.org');
      await server.mail.waitFor('queued.1@example.org');
      await server.latchkey.mailer.idle();
      expect(server.mail.all()).to.have.length(2);
    });
  });

  describe('on shutdown', () => {
    let catcher: MailCatcher;
    before(async () => {
      catcher = await startMailCatcher();
    });
    after(() => catcher.stop());

    const mailer = (backoffMs: number) => {
      const { lines, logger } = capturingLogger('debug');
      const templates = new MailTemplates(MAIL_VIEWS_DIR, {
        product: 'Latchkey',
        issuer: 'http://127.0.0.1:3000',
      });
      const smtp = new SmtpMailer({
        smtpUrl: catcher.url,
        from: 'no-reply@127.0.0.1',
        queueLimit: 10,
        templates,
        logger,
        backoffMs,
      });
      return { smtp, lines };
    };

    it('sends what is queued before closing, and takes nothing after', async () => {
      const { smtp, lines } = mailer(10);
      catcher.refuseNext(1);
      smtp.send(reset('last.one@example.com'));
      await smtp.close(2000);
      expect(catcher.all().map((m) => m.to)).to.include('last.one@example.com');
      smtp.send(reset('too.late@example.com'));
      expect(eventsOf(lines, 'mail.dropped').at(-1)).to.include({ reason: 'closed' });
    });

    it('drops, and logs, a retry still waiting when its time is up', async () => {
      const { smtp, lines } = mailer(60_000);
      catcher.refuseNext(1);
      smtp.send(reset('slow.retry@example.com'));
      const started = Date.now();
      await smtp.close(300);
      expect(Date.now() - started).to.be.lessThan(2000);
      expect(eventsOf(lines, 'mail.dropped').at(-1)).to.include({
        reason: 'shutdown',
        domain: 'example.com',
      });
      catcher.clear();
    });
  });

  describe('without SMTP_URL (development)', () => {
    const server = useServer({ env: { SMTP_URL: undefined } });

    it('logs the message with its recipient and links instead of sending it', async () => {
      server.latchkey.mailer.send(reset('dev.person@example.com', 'dev-token'));
      await server.latchkey.mailer.idle();
      const line = eventsOf(server.logs, 'mail.not_sent').at(-1);
      expect(line).to.deep.include({
        level: 'info',
        template: 'reset-password',
        to: 'dev.person@example.com',
        values: { link: 'http://127.0.0.1/reset?token=dev-token' },
      });
      expect(server.mail.all()).to.deep.equal([]);
    });
  });
});
