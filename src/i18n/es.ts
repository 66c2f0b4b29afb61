// Every sentence of locales/en.json in Spanish (locales/es.json): neutral, formal register. The
// type checks that it has exactly English's keys, with Spanish's plural forms.
import sentences from '../../locales/es.json' with { type: 'json' };
import type { Translation } from './translation.ts';

export const es: Translation<'one' | 'many'> = sentences;
