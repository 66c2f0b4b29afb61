// The mail settings: the SMTP relay, the From address and the queue. SMTP_URL may hold a password,
// so no problem ever echoes it.
import type { Reader } from './reader.ts';

export interface MailSettings {
  /** smtp:// or smtps:// relay, optionally with user:password; undefined: mail is only logged. */
  readonly smtpUrl: string | undefined;
  /** The From header: an address, or `"Name" <address>`. */
  readonly from: string;
  /** Messages that may wait to be sent; more are dropped (and logged). */
  readonly queueLimit: number;
}

const LOCAL_PART = String.raw`[A-Za-z0-9!#$%&'*+/=?^_\x60{|}~.-]{1,64}`;
// A domain of letters, digits, dots and hyphens, or an address literal (an IPv6 issuer host).
const DOMAIN = String.raw`(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\[[0-9A-Fa-f:.]{2,45}\])`;
const ADDRESS = `${LOCAL_PART}@${DOMAIN}`;
const BARE = new RegExp(`^${ADDRESS}$`);
// A display name in quotes (with \" and \\ escapes), or plain words, then the address in <>.
const NAMED = new RegExp(
  String.raw`^(?:"(?:[^"\\\x00-\x1f\x7f]|\\["\\]){1,100}"|[^"<>\x00-\x1f\x7f,;:@]{1,100}) <${ADDRESS}>$`,
);

/** Whether `text` is a From header Latchkey accepts: `a@b.example` or `"Name" <a@b.example>`. */
export function isMailFrom(text: string): boolean {
  return BARE.test(text) || NAMED.test(text);
}

/** `"Product" <no-reply@host>`, the product quoted so any character in it is safe. */
export function defaultMailFrom(product: string, issuer: string): string {
  const host = URL.parse(issuer)?.hostname || 'localhost';
  const name = product.replace(/[\\"]/g, (c) => `\\${c}`);
  return `"${name}" <no-reply@${host}>`;
}

function readSmtpUrl(r: Reader): string | undefined {
  const text = r.raw('SMTP_URL');
  if (text === undefined) return undefined;
  const url = URL.parse(text);
  if (!url || (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') || url.hostname === '') {
    r.problems.push(
      'SMTP_URL must be an smtp:// or smtps:// URL with a host, e.g. smtps://user:password@smtp.example.com:465',
    );
    return undefined;
  }
  return text;
}

export function readMail(
  r: Reader,
  context: { product: string; issuer: string; production: boolean; signUpEnabled: boolean },
): MailSettings {
  const smtpUrl = readSmtpUrl(r);
  if (context.production && context.signUpEnabled && r.raw('SMTP_URL') === undefined) {
    r.problems.push(
      'SMTP_URL is required when NODE_ENV is production and sign-up is open: new accounts must be sent mail. Set it to your mail relay (e.g. smtps://user:password@smtp.example.com:465), or set SIGN_UP_ENABLED=false',
    );
  }
  const fromText = r.raw('MAIL_FROM');
  const from = fromText ?? defaultMailFrom(context.product, context.issuer);
  if (!isMailFrom(from)) {
    r.problems.push(
      fromText === undefined
        ? `MAIL_FROM must be set: the default "${from}" is not a valid address (from BRAND_PRODUCT_NAME and the ISSUER host)`
        : `MAIL_FROM must be an address or "Name" <address> (got "${fromText}")`,
    );
  }
  return { smtpUrl, from, queueLimit: r.integer('MAIL_QUEUE_LIMIT', 1, 100_000) };
}
