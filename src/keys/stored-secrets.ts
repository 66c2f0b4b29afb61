// The tables whose rows hold secrets (signing keys, instance secrets such as generated cookie
// keys, TOTP secrets), and the operations over all of them: sealing plain rows at boot and
// re-wrapping every row under the newest key-encryption key.
import type { DataSource, EntityManager } from 'typeorm';
import {
  type KeyRing,
  SecretUnreadable,
  StoredKeysUnreadable,
  type StoredSecret,
} from './key-encryption.ts';

/** Serialises every change to stored keys across instances and the CLI. */
const LOCK = 'latchkey:signing-keys';

export async function lockStoredKeys(tx: EntityManager): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [LOCK]);
}

interface SecretTable {
  table: string;
  id: string;
  plain: string;
  sealed: string;
  /** Authenticated with the sealed value, so it cannot be copied to another row. */
  context(id: string): string;
  label(id: string): string;
}

/** A table with one secret per row; the sealed value is bound to the table and the row's id. */
function secretTable(
  table: string,
  columns: Pick<SecretTable, 'id' | 'plain' | 'sealed'>,
  label: (id: string) => string,
): SecretTable {
  return { table, ...columns, context: (id) => `${table}:${id}`, label };
}

export const SIGNING_KEYS = secretTable(
  'signing_keys',
  { id: 'kid', plain: 'private_jwk', sealed: 'sealed_private_jwk' },
  (kid) => `signing key ${kid}`,
);

export const INSTANCE_SECRETS = secretTable(
  'instance_secrets',
  { id: 'name', plain: 'value', sealed: 'sealed_value' },
  (name) => `instance secret "${name}"`,
);

/** Each account's TOTP secret (accounts/second-factors.ts seals new ones itself). */
export const TOTP_SECRETS = secretTable(
  'totp_factors',
  { id: 'account_id', plain: 'secret', sealed: 'sealed_secret' },
  (accountId) => `TOTP secret of account ${accountId}`,
);

const TABLES = [SIGNING_KEYS, INSTANCE_SECRETS, TOTP_SECRETS] as const;

interface SecretRow {
  id: string;
  plain: unknown;
  sealed: Buffer | null;
  kek_id: string | null;
}

async function rowsOf(
  tx: EntityManager,
  t: SecretTable,
  where: string,
  params: unknown[] = [],
): Promise<SecretRow[]> {
  return tx.query(
    `SELECT ${t.id} AS id, ${t.plain} AS plain, ${t.sealed} AS sealed, kek_id
     FROM ${t.table} ${where} ORDER BY ${t.id} FOR UPDATE`,
    params,
  );
}

async function store(tx: EntityManager, t: SecretTable, id: string, secret: StoredSecret) {
  await tx.query(
    `UPDATE ${t.table} SET ${t.plain} = $2, ${t.sealed} = $3, kek_id = $4 WHERE ${t.id} = $1`,
    [id, secret.plain === null ? null : JSON.stringify(secret.plain), secret.sealed, secret.kekId],
  );
}

export const stored = (row: SecretRow): StoredSecret => ({
  plain: row.plain,
  sealed: row.sealed,
  kekId: row.kek_id,
});

/** What a row held before it was (re)sealed: "plaintext" or the id of its old KEK. */
export type WrapCounts = Record<string, Record<string, number>>;

function count(counts: WrapCounts, table: string, from: string) {
  const perTable = counts[table] ?? {};
  perTable[from] = (perTable[from] ?? 0) + 1;
  counts[table] = perTable;
}

/** Seals every plain row under the newest KEK (a boot with KEY_ENCRYPTION_KEYS set does this). */
export async function sealPlainSecrets(db: DataSource, ring: KeyRing): Promise<WrapCounts> {
  if (!ring.enabled) return {};
  // Checked without the lock first: after the first sealing boot there is nothing to do.
  const [pending] = await db.query(
    `SELECT ${TABLES.map((t) => `(SELECT count(*) FROM ${t.table} WHERE kek_id IS NULL)`).join(' + ')} AS n`,
  );
  if (Number(pending?.n ?? 0) === 0) return {};
  return db.transaction(async (tx) => {
    await lockStoredKeys(tx);
    const counts: WrapCounts = {};
    for (const t of TABLES) {
      for (const row of await rowsOf(tx, t, 'WHERE kek_id IS NULL')) {
        await store(tx, t, row.id, ring.protect(row.plain, t.context(row.id)));
        count(counts, t.table, 'plaintext');
      }
    }
    return counts;
  });
}

/**
 * Re-encrypts every stored secret under the newest KEK in one transaction: all rows or none.
 * Any row that cannot be read (its KEK missing or wrong) aborts the whole run with every problem.
 */
export async function rewrapSecrets(db: DataSource, ring: KeyRing): Promise<WrapCounts> {
  if (!ring.enabled) throw new Error('no key-encryption key to wrap with');
  return db.transaction(async (tx) => {
    await lockStoredKeys(tx);
    const problems: string[] = [];
    const work: [SecretTable, SecretRow, unknown][] = [];
    for (const t of TABLES) {
      for (const row of await rowsOf(tx, t, '')) {
        try {
          work.push([t, row, ring.reveal(stored(row), t.context(row.id), t.label(row.id))]);
        } catch (error) {
          if (!(error instanceof SecretUnreadable)) throw error;
          problems.push(error.problem);
        }
      }
    }
    if (problems.length > 0) throw new StoredKeysUnreadable(problems);
    const counts: WrapCounts = {};
    for (const [t, row, value] of work) {
      await store(tx, t, row.id, ring.protect(value, t.context(row.id)));
      count(counts, t.table, row.kek_id ?? 'plaintext');
    }
    return counts;
  });
}

/** How many rows are not sealed under the newest KEK: plain ones, and ones under older KEKs. */
export async function protectionSummary(
  db: DataSource,
  ring: KeyRing,
): Promise<{ plaintext: number; olderKek: number }> {
  const [row] = await db.query(
    `SELECT count(*) FILTER (WHERE kek_id IS NULL) AS plaintext,
            count(*) FILTER (WHERE kek_id IS NOT NULL AND kek_id <> $1) AS older
     FROM (${TABLES.map((t) => `SELECT kek_id FROM ${t.table}`).join(' UNION ALL ')}) AS s`,
    [ring.newestId ?? ''],
  );
  return { plaintext: Number(row?.plaintext ?? 0), olderKek: Number(row?.older ?? 0) };
}
