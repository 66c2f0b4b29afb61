// Every sentence of locales/en.json in German (locales/de.json), addressing people formally
// ("Sie"). The type checks that it has exactly English's keys, with German's plural forms.
import sentences from '../../locales/de.json' with { type: 'json' };
import type { Translation } from './translation.ts';

export const de: Translation<'one'> = sentences;
