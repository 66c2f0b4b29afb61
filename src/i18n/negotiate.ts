// Which language a request is answered in: the application's ui_locales, then the person's own
// choice (the language switcher's cookie), then the browser's Accept-Language, else English.
// Once the person used the switcher on the very page (or sign-in) shown, ui_locales gives way.
import { DEFAULT_LOCALE, isLocale, type Locale } from './locales.ts';

export interface LocaleHints {
  /** Whether the switcher was used on this page or sign-in (a cookie scoped to its path). */
  switchedHere?: boolean;
  /** OpenID Connect `ui_locales`: space-separated BCP 47 tags, most preferred first. */
  uiLocales?: unknown;
  /** The language cookie set by the switcher. */
  cookie?: string | undefined;
  /** The Accept-Language header. */
  acceptLanguage?: string | undefined;
}

/** The supported language a BCP 47 tag asks for (`es-MX` is Spanish), if any. */
export function supported(tag: string): Locale | undefined {
  const primary = tag.trim().toLowerCase().split(/[-_]/)[0] ?? '';
  return isLocale(primary) ? primary : undefined;
}

/** The first supported tag of a space-separated list. */
export function fromUiLocales(value: unknown): Locale | undefined {
  if (typeof value !== 'string') return undefined;
  for (const tag of value.split(' ')) {
    const locale = supported(tag);
    if (locale) return locale;
  }
  return undefined;
}

/** The supported language the header ranks highest (ties keep header order; q=0 refuses). */
export function fromAcceptLanguage(header: string | undefined): Locale | undefined {
  if (!header) return undefined;
  const ranked = header
    .slice(0, 1024)
    .split(',')
    .map((entry, index) => {
      const [tag = '', ...options] = entry.split(';');
      const q = options.map((o) => o.trim()).find((o) => o.startsWith('q='));
      const quality = q === undefined ? 1 : Number(q.slice(2));
      return { tag, quality: Number.isFinite(quality) ? quality : 0, index };
    })
    .filter((entry) => entry.quality > 0)
    .sort((a, b) => b.quality - a.quality || a.index - b.index);
  for (const { tag } of ranked) {
    const locale = supported(tag);
    if (locale) return locale;
  }
  return undefined;
}

export function negotiateLocale(hints: LocaleHints): Locale {
  const known = (value: string | undefined) => (value && isLocale(value) ? value : undefined);
  return (
    (hints.switchedHere ? undefined : fromUiLocales(hints.uiLocales)) ??
    known(hints.cookie) ??
    fromAcceptLanguage(hints.acceptLanguage) ??
    DEFAULT_LOCALE
  );
}
