// EJS pages rendered inside one layout; `<%= %>` escapes everything people can type.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import ejs from 'ejs';
import type { Context } from 'koa';
import { currentLocale } from '../i18n/current-locale.ts';
import { direction, LANGUAGE_NAMES } from '../i18n/locales.ts';
import { type MessageKey, type Params, t, tHtml } from '../i18n/t.ts';
import { type BrandLocals, DEFAULT_BRAND, linkedText, type TextLink } from './brand.ts';
import { languageLinks, switcherTarget } from './language.ts';

export type Locals = Record<string, unknown>;

/** Every page in views/; each is compiled when a caching Views starts, so a broken one stops boot. */
export const VIEW_NAMES = [
  'layout',
  'login',
  'signup',
  'consent',
  'link',
  'account',
  'error',
  'logout',
  'logged-out',
  'device-code',
  'device-confirm',
  'device-done',
  'check-email',
  'email-confirm',
  'password-forgot',
  'password-reset',
  'second-step',
  'second-step-setup',
  'recovery-codes',
] as const;
export type ViewName = (typeof VIEW_NAMES)[number];
export type Template = (locals: Locals) => string;

export interface PageLocals {
  title: string;
  nonce: string;
  requestId?: string;
  /** The page the language switcher returns to (see http/language.ts). */
  here: string;
}

/** What every template is given besides its own values: its language and the words in it. */
function languageLocals(here: string) {
  const locale = currentLocale();
  return {
    lang: locale,
    dir: direction(locale),
    languages: languageLinks(here, locale).map((link) => ({
      ...link,
      name: LANGUAGE_NAMES[link.locale],
    })),
    t: (key: MessageKey, params?: Params) => t(key, params, locale),
    tHtml: (key: MessageKey, params?: Params) => tHtml(key, params, locale),
    /** A sentence whose `{{name}}` parameters become links (terms, privacy, support address). */
    linked: (
      key: MessageKey,
      params: Params,
      links: Readonly<Record<string, TextLink | undefined>>,
    ) => linkedText(key, params, links, locale),
    /** A date as the language writes it (`December 7, 2026`, `7. Dezember 2026`). */
    formatDate: (date: Date) => new Intl.DateTimeFormat(locale, { dateStyle: 'long' }).format(date),
    formatNumber: (value: number) => new Intl.NumberFormat(locale).format(value),
  };
}

export class Views {
  readonly #dir: string;
  readonly #cache: Map<string, Template> | undefined;
  readonly #brand: BrandLocals;
  readonly #signUp: boolean;

  /** `signUp`: pages may offer to create an account (SIGN_UP_ENABLED; default true). */
  constructor(dir: string, options: { cache: boolean; brand?: BrandLocals; signUp?: boolean }) {
    this.#dir = dir;
    this.#cache = options.cache ? new Map() : undefined;
    this.#brand = options.brand ?? DEFAULT_BRAND;
    this.#signUp = options.signUp ?? true;
    if (this.#cache) for (const name of VIEW_NAMES) this.#template(name);
  }

  #template(name: ViewName): Template {
    const cached = this.#cache?.get(name);
    if (cached) return cached;
    const filename = path.join(this.#dir, `${name}.ejs`);
    const template = ejs.compile(readFileSync(filename, 'utf8'), {
      filename,
      localsName: 'it',
      _with: false,
      strict: true,
      rmWhitespace: false,
    }) as Template;
    this.#cache?.set(name, template);
    return template;
  }

  /** Answers with page `name`, carrying this request's CSP nonce and request id. */
  respond(ctx: Context, name: ViewName, status: number, locals: Locals & { title: string }): void {
    ctx.status = status;
    ctx.type = 'html';
    ctx.body = this.render(name, {
      nonce: String(ctx.state.nonce ?? ''),
      requestId: String(ctx.state.requestId ?? ''),
      here: switcherTarget(ctx),
      ...locals,
    });
  }

  /** Renders `name` and wraps it in the layout; every page gets the brand and the catalogue. */
  render(name: ViewName, locals: PageLocals & Locals): string {
    const all = {
      brand: this.#brand,
      signUp: this.#signUp,
      ...languageLocals(locals.here),
      ...locals,
    };
    const body = this.#template(name)(all);
    return this.#template('layout')({ ...all, body });
  }
}

export const VIEWS_DIR = path.resolve(import.meta.dirname, '../../views');
