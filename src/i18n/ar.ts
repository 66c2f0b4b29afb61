// Every sentence of locales/en.json in Modern Standard Arabic (locales/ar.json), in a formal
// register, with the six plural forms Arabic counts in (zero, one, two, few, many, other). The
// type checks that it has exactly English's keys and those forms.
import sentences from '../../locales/ar.json' with { type: 'json' };
import type { Translation } from './translation.ts';

export const ar: Translation<'zero' | 'one' | 'two' | 'few' | 'many'> = sentences;
