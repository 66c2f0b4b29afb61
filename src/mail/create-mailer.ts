// Picks the mailer the configuration asks for: the SMTP relay when SMTP_URL is set, else the log.
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import { LogMailer } from './log-mailer.ts';
import type { Mailer } from './mailer.ts';
import { SmtpMailer } from './smtp-mailer.ts';
import { MAIL_VIEWS_DIR, MailTemplates } from './templates.ts';

export function createMailer(
  config: Config,
  logger: Logger,
  options: { backoffMs?: number | undefined } = {},
): Mailer {
  if (!config.mail.smtpUrl) return new LogMailer(logger, { revealValues: !config.production });
  return new SmtpMailer({
    smtpUrl: config.mail.smtpUrl,
    from: config.mail.from,
    queueLimit: config.mail.queueLimit,
    templates: mailTemplates(config),
    logger,
    ...(options.backoffMs === undefined ? {} : { backoffMs: options.backoffMs }),
  });
}

/** The message templates for this product and issuer (compiled now: a broken one stops the boot). */
export function mailTemplates(config: Config): MailTemplates {
  return new MailTemplates(MAIL_VIEWS_DIR, {
    product: config.brand.product,
    issuer: config.issuer,
    supportEmail: config.brand.supportEmail,
    primaryColor: config.brand.primaryColor,
  });
}
