// Looks up a sentence in the catalogue by its dotted key and fills in its `{{parameters}}`.
import { type Catalogue, en } from './en.ts';

type Keys<T, P extends string = ''> = {
  [K in keyof T & string]: T[K] extends string ? `${P}${K}` : Keys<T[K], `${P}${K}.`>;
}[keyof T & string];

/** Every key of the catalogue, e.g. `error.too_many_attempts.message`. */
export type MessageKey = Keys<Catalogue>;
export type Params = Readonly<Record<string, string | number>>;

/** A sentence not yet put into words: its key and parameters. */
export interface Message {
  key: MessageKey;
  params?: Params;
}

/** Whether `key` names a sentence (keys are built at run time from error codes). */
export function isMessageKey(key: string): key is MessageKey {
  return typeof lookup(key) === 'string';
}

function lookup(key: string): unknown {
  let node: unknown = en;
  for (const part of key.split('.')) {
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, part)) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

export function t(key: MessageKey, params: Params = {}): string {
  const text = lookup(key);
  if (typeof text !== 'string') throw new Error(`no message "${key}"`);
  return text.replace(/\{\{(\w+)\}\}/g, (whole, name: string) =>
    Object.hasOwn(params, name) ? String(params[name]) : whole,
  );
}
