// The secret settings: cookie signing keys and the key-encryption keys. Problems never echo a key.
import type { Reader } from './reader.ts';

/** One entry of KEY_ENCRYPTION_KEYS. The key bytes are not enumerable, so logs never show them. */
export interface KeyEncryptionKey {
  readonly id: string;
  readonly key: Buffer;
}

export function readCookieKeys(r: Reader): readonly string[] | undefined {
  const text = r.raw('COOKIE_KEYS');
  if (text === undefined) return undefined;
  const keys = text
    .split(',')
    .map((k) => k.trim())
    .filter((k) => k !== '');
  if (keys.length === 0) {
    r.problems.push('COOKIE_KEYS must list at least one key');
  }
  keys.forEach((key, i) => {
    if (key.length < 32) {
      r.problems.push(`COOKIE_KEYS entry ${i + 1} must be at least 32 characters long`);
    }
  });
  return Object.freeze(keys);
}

const KEK_ID = /^[A-Za-z0-9._-]{1,32}$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
export const KEK_BYTES = 32;
const KEK_HINT = 'e.g. KEY_ENCRYPTION_KEYS="k1:$(openssl rand -base64 32)"';

/** `id:base64` entries, newest first; never echoes the key text in a problem. */
export function readKeyEncryptionKeys(r: Reader, production: boolean): readonly KeyEncryptionKey[] {
  const text = r.raw('KEY_ENCRYPTION_KEYS');
  if (text === undefined) {
    if (production) {
      r.problems.push(
        `KEY_ENCRYPTION_KEYS is required when NODE_ENV=production: it encrypts the signing keys and generated cookie keys stored in Postgres (${KEK_HINT})`,
      );
    }
    return Object.freeze([]);
  }
  const keys: KeyEncryptionKey[] = [];
  const seen = new Set<string>();
  text.split(',').forEach((entry, i) => {
    const where = `KEY_ENCRYPTION_KEYS entry ${i + 1}`;
    const colon = entry.indexOf(':');
    const id = entry.slice(0, colon).trim();
    const encoded = entry.slice(colon + 1).trim();
    if (colon < 0 || !KEK_ID.test(id)) {
      r.problems.push(
        `${where} must be "id:base64-key" with an id of 1-32 letters, digits, ".", "_" or "-" (${KEK_HINT})`,
      );
      return;
    }
    if (seen.has(id)) {
      r.problems.push(`${where} repeats the id "${id}": every key needs its own id`);
      return;
    }
    seen.add(id);
    const bytes =
      BASE64.test(encoded) || BASE64URL.test(encoded)
        ? Buffer.from(encoded, BASE64URL.test(encoded) ? 'base64url' : 'base64')
        : undefined;
    if (bytes?.length !== KEK_BYTES) {
      r.problems.push(
        `${where} ("${id}") must hold exactly ${KEK_BYTES} bytes in base64 (got ${bytes ? `${bytes.length} bytes` : 'text that is not base64'})`,
      );
      return;
    }
    const key = { id } as KeyEncryptionKey;
    Object.defineProperty(key, 'key', { value: bytes, enumerable: false });
    keys.push(Object.freeze(key));
  });
  return Object.freeze(keys);
}
