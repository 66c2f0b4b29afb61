// Cookie signing keys: from COOKIE_KEYS when set, otherwise generated once and shared via Postgres.
import { hkdfSync, randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';

const NAME = 'cookie_keys';

export async function loadCookieKeys(
  db: DataSource,
  configured: readonly string[] | undefined,
): Promise<string[]> {
  if (configured) return [...configured];
  const generated = [randomBytes(32).toString('base64url')];
  // The first instance to boot wins; the others read what it stored.
  await db.query(
    'INSERT INTO instance_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING',
    [NAME, JSON.stringify(generated)],
  );
  const rows: { value: string[] }[] = await db.query(
    'SELECT value FROM instance_secrets WHERE name = $1',
    [NAME],
  );
  const stored = rows[0]?.value;
  if (!Array.isArray(stored) || stored.length === 0) throw new Error('cookie keys missing');
  return stored;
}

/** A key for one purpose derived from a cookie key, so no secret is used for two things. */
export function deriveKey(secret: string, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, 'latchkey', purpose, 32));
}
