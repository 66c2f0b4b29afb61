import type { Translation } from './translation.ts';
export const ar = {} as Translation;
