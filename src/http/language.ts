// Which language each request is answered in, and the language switcher: a plain link that adds
// `?lang=xx` to the page it is on; the answer remembers the choice in a cookie and goes back to
// the same page without the parameter (no script, no form, nothing a cross-site page can abuse
// beyond choosing someone's language). A second, short-lived cookie scoped to that page (or to
// the whole sign-in, /interaction/:uid) says the switcher was used there, so the choice beats the
// application's ui_locales on it.
import type { Context, Middleware } from 'koa';
import { inLocale } from '../i18n/current-locale.ts';
import { isLocale, LOCALES, type Locale } from '../i18n/locales.ts';

const ONE_YEAR_MS = 365 * 24 * 60 * 60 * 1000;
const PARAM = 'lang';

const ONE_HOUR_MS = 60 * 60 * 1000;

export const languageCookie = (https: boolean) =>
  https ? '__Host-latchkey.lang' : 'latchkey.lang';
/** Scoped to a path, so it cannot be a __Host- cookie. */
const pageCookie = (https: boolean) =>
  https ? '__Secure-latchkey.lang-here' : 'latchkey.lang-here';

/** Where a choice made on `path` holds over ui_locales: the whole sign-in, or that page. */
function choiceScope(path: string): string | undefined {
  const scope = /^\/interaction\/[^/]+/.exec(path)?.[0] ?? path;
  // Only plain path characters: anything else could add attributes to the Set-Cookie line.
  return /^[A-Za-z0-9/_.~%-]+$/.test(scope) ? scope : undefined;
}

/** Answers every request in its negotiated language, and handles the switcher's links. */
export function languageChoice(options: { https: boolean; product?: string }): Middleware {
  const name = languageCookie(options.https);
  const here = pageCookie(options.https);
  const cookie = {
    httpOnly: true,
    sameSite: 'lax',
    secure: options.https,
    overwrite: true,
  } as const;
  return async (ctx, next) => {
    if ((ctx.method === 'GET' || ctx.method === 'HEAD') && PARAM in ctx.query) {
      const chosen = ctx.query[PARAM];
      const back = samePagePath(ctx.path, new URLSearchParams(ctx.querystring));
      if (typeof chosen === 'string' && isLocale(chosen)) {
        ctx.cookies.set(name, chosen, { ...cookie, path: '/', maxAge: ONE_YEAR_MS });
        const scope = choiceScope(back.split('?')[0] ?? '/');
        if (scope) ctx.cookies.set(here, '1', { ...cookie, path: scope, maxAge: ONE_HOUR_MS });
      }
      ctx.status = 303;
      ctx.redirect(back);
      return;
    }
    const hints = {
      switchedHere: ctx.cookies.get(here) === '1',
      cookie: ctx.cookies.get(name),
      acceptLanguage: ctx.get('accept-language'),
    };
    await inLocale(hints, next, options.product);
  };
}

/** The page without `?lang`, never another origin (`//host` or `/\host` is one to browsers). */
function samePagePath(path: string, query: URLSearchParams): string {
  if (!path.startsWith('/') || path.startsWith('//') || path.includes('\\')) return '/';
  query.delete(PARAM);
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
