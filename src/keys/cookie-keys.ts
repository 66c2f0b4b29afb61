// Cookie signing keys: from COOKIE_KEYS when set, otherwise generated once and shared via Postgres,
// sealed under the key-encryption key like the signing keys.
import { hkdfSync, randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { type KeyRing, SecretUnreadable, StoredKeysUnreadable } from './key-encryption.ts';
import { INSTANCE_SECRETS, lockStoredKeys, stored } from './stored-secrets.ts';

const NAME = 'cookie_keys';

interface SecretRow {
  value: unknown;
  sealed_value: Buffer | null;
  kek_id: string | null;
}

export async function loadCookieKeys(
  db: DataSource,
  configured: readonly string[] | undefined,
  ring: KeyRing,
): Promise<string[]> {
  if (configured) return [...configured];
  const select = 'SELECT value, sealed_value, kek_id FROM instance_secrets WHERE name = $1';
  let rows: SecretRow[] = await db.query(select, [NAME]);
  if (rows.length === 0) {
    // The first instance to boot wins; the others read what it stored.
    rows = await db.transaction(async (tx) => {
      await lockStoredKeys(tx);
      const secret = ring.protect(
        [randomBytes(32).toString('base64url')],
        INSTANCE_SECRETS.context(NAME),
      );
      await tx.query(
        `INSERT INTO instance_secrets (name, value, sealed_value, kek_id) VALUES ($1, $2, $3, $4)
         ON CONFLICT (name) DO NOTHING`,
        [
          NAME,
          secret.plain === null ? null : JSON.stringify(secret.plain),
          secret.sealed,
          secret.kekId,
        ],
      );
      return tx.query(select, [NAME]);
    });
  }
  const row = rows[0];
  if (!row) throw new Error('cookie keys missing');
  let keys: unknown;
  try {
    keys = ring.reveal(
      stored({ id: NAME, plain: row.value, sealed: row.sealed_value, kek_id: row.kek_id }),
      INSTANCE_SECRETS.context(NAME),
      'the generated cookie keys',
    );
  } catch (error) {
    if (error instanceof SecretUnreadable) throw new StoredKeysUnreadable([error.problem]);
    throw error;
  }
  if (!Array.isArray(keys) || keys.length === 0 || !keys.every((k) => typeof k === 'string')) {
    throw new Error('cookie keys missing');
  }
  return keys;
}

/** A key for one purpose derived from a cookie key, so no secret is used for two things. */
export function deriveKey(secret: string, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, 'latchkey', purpose, 32));
}
