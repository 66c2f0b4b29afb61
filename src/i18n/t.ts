// Puts a sentence of the catalogue into words in one language (i18next), by its dotted key, with
// its `{{parameters}}` filled in and its plural form chosen by `count`.
import i18next from 'i18next';
import { ar } from './ar.ts';
import { currentLocale, currentProduct } from './current-locale.ts';
import { de } from './de.ts';
import { type Catalogue, en } from './en.ts';
import { es } from './es.ts';
import type { Locale } from './locales.ts';

/** A sentence's key without its plural suffix (`message_one`, `message_other` are `message`). */
type Plain<K extends string> = K extends `${infer B}_${'one' | 'other'}` ? B : K;

type Keys<T, P extends string = ''> = {
  [K in keyof T & string]: T[K] extends string ? `${P}${Plain<K>}` : Keys<T[K], `${P}${K}.`>;
}[keyof T & string];

/** Every key of the catalogue, e.g. `error.too_many_attempts.message`. */
export type MessageKey = Keys<Catalogue>;
export type Params = Readonly<Record<string, string | number>>;

/** A sentence not yet put into words: its key and parameters. */
export interface Message {
  key: MessageKey;
  params?: Params;
}

/** Every language's sentences. */
export const CATALOGUES: Readonly<Record<Locale, object>> = { en, es, de, ar };

const i18n = i18next.createInstance();
void i18n.init({
  resources: Object.fromEntries(
    Object.entries(CATALOGUES).map(([locale, translation]) => [locale, { translation }]),
  ),
  lng: 'en',
  // A sentence missing in a language (caught by the completeness test) is shown in English.
  fallbackLng: 'en',
  initAsync: false,
  nsSeparator: false,
  returnNull: false,
  // Pages escape what they show; tHtml asks i18next to escape the parameters instead.
  interpolation: { escapeValue: false },
  // A parameter nobody passed stays visible as `{{name}}` rather than vanishing.
  missingInterpolationHandler: (_text: string, match: RegExpExecArray) => match[0],
});

function lookup(key: string): unknown {
  let node: unknown = en;
  for (const part of key.split('.')) {
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, part)) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

/** Whether `key` names a sentence (keys are built at run time from error codes). */
export function isMessageKey(key: string): key is MessageKey {
  return typeof lookup(key) === 'string' || typeof lookup(`${key}_other`) === 'string';
}

function translate(key: MessageKey, params: Params, locale: Locale, asHtml: boolean): string {
  if (!isMessageKey(key)) throw new Error(`no message "${key}"`);
  return i18n.t(key, {
    product: currentProduct(),
    ...params,
    lng: locale,
    interpolation: { escapeValue: asHtml },
  });
}

/** The sentence in the language of the request being answered (English outside one). */
export function t(key: MessageKey, params: Params = {}, locale: Locale = currentLocale()): string {
  return translate(key, params, locale, false);
}

/** The sentence as HTML: its own markup (`<strong>`) kept, every parameter escaped. */
export function tHtml(
  key: MessageKey,
  params: Params = {},
  locale: Locale = currentLocale(),
): string {
  return translate(key, params, locale, true);
}
