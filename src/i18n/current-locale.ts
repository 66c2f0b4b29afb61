// The language of the request being answered, so every sentence put into words while answering
// it (pages, error messages) uses it without passing it around. Outside a request: English.
import { AsyncLocalStorage } from 'node:async_hooks';
import { DEFAULT_LOCALE, type Locale } from './locales.ts';
import { type LocaleHints, negotiateLocale } from './negotiate.ts';

/** The product name sentences use outside a request, and when no brand is configured. */
export const DEFAULT_PRODUCT = 'Latchkey';

interface Scope {
  locale: Locale;
  /** The operator's product name (BRAND_PRODUCT_NAME), the `{{product}}` of every sentence. */
  readonly product: string;
  /** What the request itself says (cookie, Accept-Language), kept to add ui_locales later. */
  readonly hints: LocaleHints;
}

const scopes = new AsyncLocalStorage<Scope>();

export function currentLocale(): Locale {
  return scopes.getStore()?.locale ?? DEFAULT_LOCALE;
}

export function currentProduct(): string {
  return scopes.getStore()?.product ?? DEFAULT_PRODUCT;
}

/** Runs `work` answering in the language the hints negotiate. */
export function inLocale<T>(hints: LocaleHints, work: () => T, product = DEFAULT_PRODUCT): T {
  return scopes.run({ locale: negotiateLocale(hints), hints, product }, work);
}

/** The authorization request's `ui_locales`, once known, takes precedence for this request. */
export function preferUiLocales(uiLocales: unknown): void {
  const scope = scopes.getStore();
  if (scope) scope.locale = negotiateLocale({ ...scope.hints, uiLocales });
}

/** A moment as the account pages show it: date and time in the current language, in UTC. */
export function formatMoment(at: Date | number): string {
  return new Intl.DateTimeFormat(currentLocale(), {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    timeZone: 'UTC',
    timeZoneName: 'short',
  }).format(at);
}
