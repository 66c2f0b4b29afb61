// Signing keys kept in Postgres so every instance serves the same JWKS; rotation keeps old keys
// published (retired) until the tokens they signed have expired. Private keys are sealed under the
// key-encryption key (see key-encryption.ts); only development without one stores them plain.
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import type { DataSource, EntityManager } from 'typeorm';
import { type KeyRing, SecretUnreadable, StoredKeysUnreadable } from './key-encryption.ts';
import { lockStoredKeys, SIGNING_KEYS, stored } from './stored-secrets.ts';

export const SIGNING_ALGS = ['RS256', 'ES256'] as const;
export type SigningAlg = (typeof SIGNING_ALGS)[number];
export type KeyStatus = 'next' | 'active' | 'retired';

/** Public description of a key: what the CLI lists and logs may mention. */
export interface KeyInfo {
  kid: string;
  alg: string;
  status: KeyStatus;
  createdAt: Date;
  activatedAt: Date | null;
  retiredAt: Date | null;
  /** The key-encryption key it is sealed with; null: stored in plain text. */
  kekId: string | null;
}

interface KeyRow {
  kid: string;
  alg: string;
  status: KeyStatus;
  private_jwk: JWK | null;
  sealed_private_jwk: Buffer | null;
  kek_id: string | null;
  created_at: Date;
  activated_at: Date | null;
  retired_at: Date | null;
}

const ORDER: Record<KeyStatus, number> = { active: 0, next: 1, retired: 2 };

async function newKey(alg: SigningAlg): Promise<JWK> {
  const { privateKey } = await generateKeyPair(alg, {
    extractable: true,
    ...(alg === 'RS256' ? { modulusLength: 2048 } : {}),
  });
  const jwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint(jwk);
  return { ...jwk, kid, alg, use: 'sig' };
}

function info(row: KeyRow): KeyInfo {
  return {
    kid: row.kid,
    alg: row.alg,
    status: row.status,
    createdAt: row.created_at,
    activatedAt: row.activated_at,
    retiredAt: row.retired_at,
    kekId: row.kek_id,
  };
}

export class SigningKeyStore {
  readonly #db: DataSource;
  readonly #ring: KeyRing;

  constructor(db: DataSource, ring: KeyRing) {
    this.#db = db;
    this.#ring = ring;
  }

  /** Serialises key changes across instances with a transaction-scoped advisory lock. */
  async #locked<T>(work: (tx: EntityManager) => Promise<T>): Promise<T> {
    return this.#db.transaction(async (tx) => {
      await lockStoredKeys(tx);
      return work(tx);
    });
  }

  async #insert(tx: EntityManager, jwk: JWK, status: KeyStatus): Promise<void> {
    const kid = jwk.kid as string;
    const secret = this.#ring.protect(jwk, SIGNING_KEYS.context(kid));
    await tx.query(
      `INSERT INTO signing_keys (kid, alg, status, private_jwk, sealed_private_jwk, kek_id, activated_at)
       VALUES ($1, $2, $3, $4, $5, $6, CASE WHEN $3 = 'active' THEN now() END)`,
      [
        kid,
        jwk.alg,
        status,
        secret.plain === null ? null : JSON.stringify(secret.plain),
        secret.sealed,
        secret.kekId,
      ],
    );
  }

  /** Creates an active key for every algorithm that has none; returns the kids created. */
  async ensureActiveKeys(): Promise<string[]> {
    const existing: { alg: string }[] = await this.#db.query(
      "SELECT alg FROM signing_keys WHERE status = 'active'",
    );
    const have = new Set(existing.map((r) => r.alg));
    if (SIGNING_ALGS.every((alg) => have.has(alg))) return [];
    return this.#locked(async (tx) => {
      const rows: { alg: string }[] = await tx.query(
        "SELECT alg FROM signing_keys WHERE status = 'active'",
      );
      const active = new Set(rows.map((r) => r.alg));
      const created: string[] = [];
      for (const alg of SIGNING_ALGS) {
        if (active.has(alg)) continue;
        const jwk = await newKey(alg);
        await this.#insert(tx, jwk, 'active');
        created.push(jwk.kid as string);
      }
      return created;
    });
  }

  /**
   * Private keys for the provider: for each algorithm the active key comes first (it signs), then
   * staged and retired keys, which are published for verification only.
   */
  async providerJwks(): Promise<{ keys: JWK[] }> {
    const rows: KeyRow[] = await this.#db.query('SELECT * FROM signing_keys');
    rows.sort(
      (a, b) =>
        ORDER[a.status] - ORDER[b.status] || b.created_at.getTime() - a.created_at.getTime(),
    );
    const keys: JWK[] = [];
    const problems: string[] = [];
    for (const row of rows) {
      try {
        const jwk = this.#ring.reveal(
          stored({
            id: row.kid,
            plain: row.private_jwk,
            sealed: row.sealed_private_jwk,
            kek_id: row.kek_id,
          }),
          SIGNING_KEYS.context(row.kid),
          SIGNING_KEYS.label(row.kid),
        ) as JWK;
        keys.push(jwk);
      } catch (error) {
        if (!(error instanceof SecretUnreadable)) throw error;
        problems.push(error.problem);
      }
    }
    if (problems.length > 0) throw new StoredKeysUnreadable(problems);
    return { keys };
  }

  async list(): Promise<KeyInfo[]> {
    const rows: KeyRow[] = await this.#db.query(
      'SELECT * FROM signing_keys ORDER BY alg, created_at DESC',
    );
    return rows.map(info);
  }

  /** Publishes a new key per algorithm without signing with it yet (step one of a rolling rotation). */
  async stage(): Promise<KeyInfo[]> {
    return this.#locked(async (tx) => {
      await tx.query("DELETE FROM signing_keys WHERE status = 'next'");
      for (const alg of SIGNING_ALGS) await this.#insert(tx, await newKey(alg), 'next');
      const rows: KeyRow[] = await tx.query("SELECT * FROM signing_keys WHERE status = 'next'");
      return rows.map(info);
    });
  }

  /**
   * Makes the staged key (or a fresh one) active for every algorithm; the previous active key is
   * retired and stays published so tokens it signed still verify.
   */
  async rotate(): Promise<KeyInfo[]> {
    return this.#locked(async (tx) => {
      for (const alg of SIGNING_ALGS) {
        const staged: { kid: string }[] = await tx.query(
          "SELECT kid FROM signing_keys WHERE alg = $1 AND status = 'next' ORDER BY created_at DESC LIMIT 1",
          [alg],
        );
        await tx.query(
          "UPDATE signing_keys SET status = 'retired', retired_at = now() WHERE alg = $1 AND status = 'active'",
          [alg],
        );
        if (staged[0]) {
          await tx.query(
            "UPDATE signing_keys SET status = 'active', activated_at = now() WHERE kid = $1",
            [staged[0].kid],
          );
        } else {
          await this.#insert(tx, await newKey(alg), 'active');
        }
      }
      const rows: KeyRow[] = await tx.query(
        "SELECT * FROM signing_keys WHERE status = 'active' ORDER BY alg",
      );
      return rows.map(info);
    });
  }

  /** Deletes retired keys retired more than `olderThanSeconds` ago; returns their kids. */
  async prune(olderThanSeconds: number): Promise<string[]> {
    return this.#locked(async (tx) => {
      const rows: { kid: string }[] = await tx.query(
        `SELECT kid FROM signing_keys
         WHERE status = 'retired' AND retired_at < now() - make_interval(secs => $1)`,
        [olderThanSeconds],
      );
      const kids = rows.map((r) => r.kid);
      if (kids.length > 0) await tx.query('DELETE FROM signing_keys WHERE kid = ANY($1)', [kids]);
      return kids;
    });
  }
}
