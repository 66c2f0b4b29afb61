// The languages Latchkey speaks, in the order the language switcher lists them.

export const LOCALES = ['en', 'es', 'de', 'ar'] as const;
export type Locale = (typeof LOCALES)[number];

/** The language used when nothing asks for a supported one. */
export const DEFAULT_LOCALE: Locale = 'en';

/** Each language's name in itself, as the language switcher shows it. */
export const LANGUAGE_NAMES: Readonly<Record<Locale, string>> = {
  en: 'English',
  es: 'Español',
  de: 'Deutsch',
  ar: 'العربية',
};

const RIGHT_TO_LEFT: ReadonlySet<Locale> = new Set(['ar']);

export function isLocale(value: string): value is Locale {
  return (LOCALES as readonly string[]).includes(value);
}

/** The writing direction of a language, for `<html dir>`. */
export function direction(locale: Locale): 'ltr' | 'rtl' {
  return RIGHT_TO_LEFT.has(locale) ? 'rtl' : 'ltr';
}
