// The language of the request being answered, so every sentence put into words while answering
// it (pages, error messages) uses it without passing it around. Outside a request: English.
import { AsyncLocalStorage } from 'node:async_hooks';
import { DEFAULT_LOCALE, type Locale } from './locales.ts';
import { type LocaleHints, negotiateLocale } from './negotiate.ts';

interface Scope {
  locale: Locale;
  /** What the request itself says (cookie, Accept-Language), kept to add ui_locales later. */
  readonly hints: LocaleHints;
}

const scopes = new AsyncLocalStorage<Scope>();

export function currentLocale(): Locale {
  return scopes.getStore()?.locale ?? DEFAULT_LOCALE;
}

/** Runs `work` answering in the language the hints negotiate. */
export function inLocale<T>(hints: LocaleHints, work: () => T): T {
  return scopes.run({ locale: negotiateLocale(hints), hints }, work);
}

/** The authorization request's `ui_locales`, once known, takes precedence for this request. */
export function preferUiLocales(uiLocales: unknown): void {
  const scope = scopes.getStore();
  if (scope) scope.locale = negotiateLocale({ ...scope.hints, uiLocales });
}
