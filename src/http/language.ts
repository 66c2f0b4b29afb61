// Which language each request is answered in, and the language switcher: a plain link that adds
// `?lang=xx` to the page it is on; the answer remembers the choice in a cookie and goes back to
// the same page without the parameter (no script, no form, nothing a cross-site page can abuse
// beyond choosing someone's language).
import type { Context, Middleware } from 'koa';
import { inLocale } from '../i18n/current-locale.ts';
import { isLocale, LOCALES, type Locale } from '../i18n/locales.ts';

const ONE_YEAR_MS = 365 * 24 * 60 * 60 * 1000;
const PARAM = 'lang';

export const languageCookie = (https: boolean) =>
  https ? '__Host-latchkey.lang' : 'latchkey.lang';

/** Answers every request in its negotiated language, and handles the switcher's links. */
export function languageChoice(options: { https: boolean }): Middleware {
  const name = languageCookie(options.https);
  return async (ctx, next) => {
    if ((ctx.method === 'GET' || ctx.method === 'HEAD') && PARAM in ctx.query) {
      const chosen = ctx.query[PARAM];
      if (typeof chosen === 'string' && isLocale(chosen)) {
        ctx.cookies.set(name, chosen, {
          httpOnly: true,
          sameSite: 'lax',
          secure: options.https,
          path: '/',
          maxAge: ONE_YEAR_MS,
          overwrite: true,
        });
      }
      const query = new URLSearchParams(ctx.querystring);
      query.delete(PARAM);
      ctx.status = 303;
      ctx.redirect(samePagePath(ctx.path, query));
      return;
    }
    const hints = { cookie: ctx.cookies.get(name), acceptLanguage: ctx.get('accept-language') };
    await inLocale(hints, next);
  };
}

/** The path back to the page, never another origin (`//host` or `/\host` is one to browsers). */
function samePagePath(path: string, query: URLSearchParams): string {
  if (!path.startsWith('/') || path.startsWith('//') || path.includes('\\')) return '/';
  const search = query.toString();
  return search ? `${path}?${search}` : path;
}

/**
 * The page the switcher returns to: the page itself when it was fetched, else the page that
 * shows the same step again (a refused form was posted to an address that only accepts posts).
 */
export function switcherTarget(ctx: Pick<Context, 'method' | 'path' | 'querystring'>): string {
  if (ctx.method === 'GET' || ctx.method === 'HEAD') {
    return ctx.querystring ? `${ctx.path}?${ctx.querystring}` : ctx.path;
  }
  const interaction = /^\/interaction\/([^/]+)(\/(signup|link))?(\/|$)/.exec(ctx.path);
  if (interaction) return `/interaction/${interaction[1]}${interaction[2] ?? ''}`;
  return '/account';
}

export interface LanguageLink {
  locale: Locale;
  href: string;
  current: boolean;
}

/** One link per language, each to `target` with `?lang=`. */
export function languageLinks(target: string, current: Locale): LanguageLink[] {
  return LOCALES.map((locale) => {
    const url = new URL(target, 'http://localhost');
    url.searchParams.set(PARAM, locale);
    return { locale, href: `${url.pathname}${url.search}`, current: locale === current };
  });
}
