// Every message as subject, paragraphs and one action link, put into words in the recipient's
// language and rendered twice (views/mail/layout.html.ejs and layout.txt.ejs).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import ejs from 'ejs';
import { linkedText } from '../http/brand.ts';
import { direction, type Locale } from '../i18n/locales.ts';
import { type MessageKey, type Params, t, tHtml } from '../i18n/t.ts';
import type { MailRequest, MailTemplate } from './mailer.ts';

/** The values each message shows (MailRequest.values), by template. */
export interface MailValues {
  /** `link` confirms `email`, the address this message goes to. */
  'verify-email': { link: string; email: string };
  /** Sent to the old address: `newEmail` is the one the account signs in with now. */
  'email-changed': { newEmail: string };
  /** Sent to an address that tried to sign up again: where to sign in, where to reset. */
  'sign-up-attempt': { signInLink: string; resetLink: string };
  /** `link` opens the page that sets a new password. */
  'reset-password': { link: string };
}

export const MAIL_TEMPLATES = [
  'verify-email',
  'email-changed',
  'sign-up-attempt',
  'reset-password',
] as const satisfies readonly MailTemplate[];

/** A paragraph of a message: a sentence, optionally followed by its own link. */
type Block = { text: MessageKey; href?: string } | { action: MessageKey; href: string };

interface Composition {
  subject: MessageKey;
  heading: MessageKey;
  blocks: Block[];
}

/** Who sends: the product name, the issuer (its host signs the footer) and the support address. */
export interface MailSite {
  product: string;
  issuer: string;
  supportEmail?: string | undefined;
  /** #rrggbb of the action button; undefined: the pages' own blue. */
  primaryColor?: string | undefined;
}

interface Definition<V> {
  /** Every value the message needs; those ending in "link" or "Link" must be http(s) URLs. */
  values: readonly (keyof V & string)[];
  compose(values: V, site: MailSite): Composition;
}

const MESSAGES: { [T in MailTemplate]: Definition<MailValues[T]> } = {
  'verify-email': {
    values: ['link', 'email'],
    compose: (v) => ({
      subject: 'mail.verify_email.subject',
      heading: 'mail.verify_email.heading',
      blocks: [
        { text: 'mail.verify_email.body' },
        { action: 'mail.verify_email.action', href: v.link },
        { text: 'mail.verify_email.expiry' },
        { text: 'mail.verify_email.ignore' },
      ],
    }),
  },
  'email-changed': {
    values: ['newEmail'],
    compose: (_v, site) => ({
      subject: 'mail.email_changed.subject',
      heading: 'mail.email_changed.heading',
      blocks: [
        { text: 'mail.email_changed.body' },
        { text: 'mail.email_changed.not_you' },
        { action: 'mail.email_changed.action', href: `${site.issuer}/account` },
      ],
    }),
  },
  'sign-up-attempt': {
    values: ['signInLink', 'resetLink'],
    compose: (v) => ({
      subject: 'mail.sign_up_attempt.subject',
      heading: 'mail.sign_up_attempt.heading',
      blocks: [
        { text: 'mail.sign_up_attempt.body' },
        { action: 'mail.sign_up_attempt.action', href: v.signInLink },
        { text: 'mail.sign_up_attempt.reset', href: v.resetLink },
        { text: 'mail.sign_up_attempt.ignore' },
      ],
    }),
  },
  'reset-password': {
    values: ['link'],
    compose: (v) => ({
      subject: 'mail.reset_password.subject',
      heading: 'mail.reset_password.heading',
      blocks: [
        { text: 'mail.reset_password.body' },
        { action: 'mail.reset_password.action', href: v.link },
        { text: 'mail.reset_password.expiry' },
        { text: 'mail.reset_password.ignore' },
      ],
    }),
  },
};

/** A message asked for with values it cannot be rendered with; retrying cannot help. */
export class InvalidMailValues extends Error {
  constructor(template: string, problem: string) {
    super(`mail "${template}": ${problem}`);
    this.name = 'InvalidMailValues';
  }
}

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

const DEFAULT_BUTTON = '#1f5fbf';
export const MAIL_VIEWS = ['layout.html', 'layout.txt'] as const;
type MailView = (typeof MAIL_VIEWS)[number];
type Render = (locals: Record<string, unknown>) => string;

function isWebUrl(text: string): boolean {
  const url = URL.parse(text);
  return url !== null && (url.protocol === 'https:' || url.protocol === 'http:');
}

/** Checks the values a template needs and returns them typed. */
function valuesFor<T extends MailTemplate>(template: T, given: Readonly<Record<string, string>>) {
  const definition = MESSAGES[template] as Definition<MailValues[T]>;
  for (const name of definition.values) {
    const value = given[name];
    if (typeof value !== 'string' || value.trim() === '') {
      throw new InvalidMailValues(template, `value "${name}" is missing`);
    }
    if (/link$/i.test(name) && !isWebUrl(value)) {
      throw new InvalidMailValues(template, `value "${name}" is not an http(s) URL`);
    }
  }
  return { definition, values: given as unknown as MailValues[T] };
}

export class MailTemplates {
  readonly #site: MailSite;
  readonly #host: string;
  readonly #views: Record<MailView, Render>;

  /** Compiles both layouts at once, so a broken one stops the boot. */
  constructor(dir: string, site: MailSite) {
    this.#site = site;
    this.#host = new URL(site.issuer).host;
    const compile = (name: MailView) => {
      const filename = path.join(dir, `${name}.ejs`);
      return ejs.compile(readFileSync(filename, 'utf8'), {
        filename,
        localsName: 'it',
        _with: false,
        strict: true,
      }) as Render;
    };
    this.#views = { 'layout.html': compile('layout.html'), 'layout.txt': compile('layout.txt') };
  }

  /** The message in `mail.locale`, as subject, plain text and HTML; throws InvalidMailValues. */
  render(mail: MailRequest): RenderedMail {
    if (!Object.hasOwn(MESSAGES, mail.template)) {
      throw new InvalidMailValues(String(mail.template), 'no such template');
    }
    const { definition, values } = valuesFor(mail.template, mail.values);
    const composed = definition.compose(values as never, this.#site);
    const locale: Locale = mail.locale;
    const params: Params = { ...values, product: this.#site.product, host: this.#host };
    const text = (key: MessageKey) => t(key, params, locale);
    const html = (key: MessageKey) => tHtml(key, params, locale);
    const action = composed.blocks.find((b) => 'action' in b);
    const help = this.#site.supportEmail;
    const common = {
      lang: locale,
      dir: direction(locale),
      subject: text(composed.subject),
      product: this.#site.product,
      heading: text(composed.heading),
      footer: text('mail.footer'),
      fallback: action ? text('mail.link_fallback') : undefined,
      button: this.#site.primaryColor ?? DEFAULT_BUTTON,
      issuer: this.#site.issuer,
    };
    const blocks = (say: (key: MessageKey) => string) =>
      composed.blocks.map((b) =>
        'action' in b
          ? { kind: 'action', words: text(b.action), href: b.href }
          : { kind: 'text', words: say(b.text), href: b.href },
      );
    return {
      subject: common.subject,
      text: this.#views['layout.txt']({
        ...common,
        blocks: blocks(text),
        help: help ? t('brand.help', { email: help }, locale) : undefined,
      }),
      html: this.#views['layout.html']({
        ...common,
        blocks: blocks(html),
        help: help
          ? linkedText('brand.help', {}, { email: { href: `mailto:${help}`, text: help } }, locale)
          : undefined,
      }),
    };
  }
}

export const MAIL_VIEWS_DIR = path.resolve(import.meta.dirname, '../../views/mail');
