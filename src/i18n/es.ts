import type { Translation } from './translation.ts';
export const es = {} as Translation;
