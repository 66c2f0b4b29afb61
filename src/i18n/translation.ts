// The shape another language's sentences must have: English's keys, with the plural forms the
// language itself uses (a missing or extra key fails type-checking; test/unit/i18n.test.ts also
// checks keys, plural forms and parameters at run time).
import type { Catalogue } from './en.ts';

/** Same keys as English, any words: for languages with English's plural forms (one, other). */
export type Translation<T = Catalogue> = {
  readonly [K in keyof T]: T[K] extends string ? string : Translation<T[K]>;
};

/** Arabic counts in six plural forms (CLDR: zero, one, two, few, many, other). */
type ArabicForm = 'zero' | 'one' | 'two' | 'few' | 'many';

export type ArabicTranslation<T = Catalogue> = {
  readonly [K in keyof T & string as K extends `${infer B}_one`
    ? `${B}_${ArabicForm}`
    : K]: T[K] extends string ? string : ArabicTranslation<T[K]>;
};
