// The shape another language's sentences must have: English's keys, with the plural forms the
// language itself counts in instead of English's `_one`/`_other` (a missing or extra key fails
// type-checking; test/unit/i18n.test.ts also checks keys, plural forms and parameters).
import type { Catalogue } from './en.ts';

/** CLDR plural forms besides "other", which every language has. */
type PluralForm = 'zero' | 'one' | 'two' | 'few' | 'many';

type Words<T, F extends PluralForm> = {
  readonly [K in keyof T & string as K extends `${infer B}_one`
    ? `${B}_${F}`
    : K]: T[K] extends string ? string : Words<T[K], F>;
};

/** A language's sentences, counting in the plural forms `F` (and "other"). */
export type Translation<F extends PluralForm> = Words<Catalogue, F>;
