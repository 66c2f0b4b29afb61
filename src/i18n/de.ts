import type { Translation } from './translation.ts';
export const de = {} as Translation;
