// Single-use links sent by email (confirm an address, reset a password): only a SHA-256 of each
// token is stored, a newer link of the same purpose replaces the older ones, and redeeming is one
// atomic UPDATE, so of concurrent attempts exactly one succeeds.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import type { NewPasskey } from './passkeys.ts';

export type LinkPurpose = 'verify' | 'reset';

/** How long each kind of link stays valid. */
export const LINK_TTL_SECONDS: Readonly<Record<LinkPurpose, number>> = {
  verify: 24 * 60 * 60,
  reset: 30 * 60,
};

/** What a valid link is for: whose account and which address it was sent to. */
export interface LinkTarget {
  accountId: string;
  email: string;
  /** True when the link is opened in the browser that asked for it (see `browser` below). */
  sameBrowser: boolean;
}

/** Tokens are 256 random bits: a hash without salt or stretching cannot be reversed. */
const hashOf = (value: string) => createHash('sha256').update(value).digest();

/** Only tokens of this exact shape are looked up: 43 base64url characters. */
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

export const isTokenShaped = (value: string) => TOKEN.test(value);

type Db = DataSource | EntityManager;

interface Row {
  account_id: string;
  email: string;
  browser_hash: Buffer | null;
}

function target(row: Row, browser: string | undefined): LinkTarget {
  const sameBrowser =
    browser !== undefined && row.browser_hash !== null && hashOf(browser).equals(row.browser_hash);
  return { accountId: row.account_id, email: row.email, sameBrowser };
}

export class EmailTokens {
  readonly #db: DataSource;

  constructor(db: DataSource) {
    this.#db = db;
  }

  /**
   * A new link for `accountId` and `email`; every open link of the same purpose for the account
   * stops working. `browser` is a secret kept in the asking browser's cookie, so the link can tell
   * whether it is opened there. The account's links spent more than a day ago are deleted.
   */
  async issue(
    purpose: LinkPurpose,
    accountId: string,
    email: string,
    browser?: string,
    db: Db = this.#db,
  ): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    await db.query(
      `WITH superseded AS (
         UPDATE email_tokens SET used_at = now()
          WHERE account_id = $2 AND purpose = $3 AND used_at IS NULL
       ), pruned AS (
         DELETE FROM email_tokens
          WHERE account_id = $2 AND coalesce(used_at, expires_at) < now() - interval '1 day'
       )
       INSERT INTO email_tokens (id, account_id, purpose, token_hash, email, browser_hash, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, now() + make_interval(secs => $7))`,
      [
        randomUUID(),
        accountId,
        purpose,
        hashOf(token),
        email,
        browser === undefined ? null : hashOf(browser),
        LINK_TTL_SECONDS[purpose],
      ],
    );
    return token;
  }

  /**
   * Sign-up in one statement: a new account waiting for confirmation, or, when an earlier
   * sign-up with this address was never confirmed, that account with the new password and name;
   * and its confirmation link. An address whose account is in use is left untouched and gives
   * undefined, after the same single round trip, so timing does not tell the two apart.
   */
  async signUp(
    fields: { email: string; name: string; passwordHash: string },
    browser: string | undefined,
  ): Promise<{ accountId: string; token: string } | undefined> {
    const token = randomBytes(32).toString('base64url');
    const rows: { account_id: string }[] = await this.#db.query(
      `WITH account AS (
         INSERT INTO accounts (id, email, email_verified, password_hash, name, signup_pending)
         VALUES ($1, $2, false, $3, $4, true)
         ON CONFLICT ((lower(email))) DO UPDATE
            SET password_hash = EXCLUDED.password_hash, name = EXCLUDED.name, updated_at = now()
          WHERE accounts.signup_pending
         RETURNING id
       ), replaced AS (
         -- The latest sign-up of an unconfirmed address wins: earlier passkeys stop working.
         DELETE FROM passkeys WHERE account_id IN (SELECT id FROM account)
       ), superseded AS (
         UPDATE email_tokens SET used_at = now()
          WHERE account_id IN (SELECT id FROM account) AND purpose = 'verify' AND used_at IS NULL
       )
       INSERT INTO email_tokens (id, account_id, purpose, token_hash, email, browser_hash, expires_at)
       SELECT $5, id, 'verify', $6, $2, $7, now() + make_interval(secs => $8) FROM account
       RETURNING account_id`,
      [
        randomUUID(),
        fields.email,
        fields.passwordHash,
        fields.name,
        randomUUID(),
        hashOf(token),
        browser === undefined ? null : hashOf(browser),
        LINK_TTL_SECONDS.verify,
      ],
    );
    return rows[0] && { accountId: rows[0].account_id, token };
  }

  /**
   * signUp for a passkey instead of a password, in one statement too: the account waits for its
   * link with no password and this one passkey (an earlier unconfirmed sign-up's password and
   * passkeys are dropped); an address in use is left untouched and gives undefined.
   */
  async signUpWithPasskey(
    fields: { email: string; name: string; passkey: NewPasskey },
    browser: string | undefined,
  ): Promise<{ accountId: string; token: string } | undefined> {
    const token = randomBytes(32).toString('base64url');
    const p = fields.passkey;
    const rows: { account_id: string }[] = await this.#db.query(
      `WITH account AS (
         INSERT INTO accounts (id, email, email_verified, password_hash, name, signup_pending)
         VALUES ($1, $2, false, NULL, $3, true)
         ON CONFLICT ((lower(email))) DO UPDATE
            SET password_hash = NULL, name = EXCLUDED.name, updated_at = now()
          WHERE accounts.signup_pending
         RETURNING id
       ), replaced AS (
         DELETE FROM passkeys WHERE account_id IN (SELECT id FROM account)
       ), passkey AS (
         INSERT INTO passkeys (id, account_id, credential_id, public_key, user_handle, counter,
                               transports, backup_eligible, backed_up, aaguid, name)
         SELECT $8, id, $9, $10, $11, $12, $13, $14, $15, $16, $17 FROM account
       ), superseded AS (
         UPDATE email_tokens SET used_at = now()
          WHERE account_id IN (SELECT id FROM account) AND purpose = 'verify' AND used_at IS NULL
       )
       INSERT INTO email_tokens (id, account_id, purpose, token_hash, email, browser_hash, expires_at)
       SELECT $4, id, 'verify', $5, $2, $6, now() + make_interval(secs => $7) FROM account
       RETURNING account_id`,
      [
        randomUUID(),
        fields.email,
        fields.name,
        randomUUID(),
        hashOf(token),
        browser === undefined ? null : hashOf(browser),
        LINK_TTL_SECONDS.verify,
        p.id,
        p.credentialId,
        p.publicKey,
        p.userHandle,
        p.counter,
        p.transports,
        p.backupEligible,
        p.backedUp,
        p.aaguid,
        p.name,
      ],
    );
    return rows[0] && { accountId: rows[0].account_id, token };
  }

  /** What a link is for while it is still usable; undefined when used, replaced or expired. */
  async peek(purpose: LinkPurpose, token: string): Promise<LinkTarget | undefined> {
    if (!isTokenShaped(token)) return undefined;
    const rows: Row[] = await this.#db.query(
      `SELECT account_id, email, browser_hash FROM email_tokens
        WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > now()`,
      [hashOf(token), purpose],
    );
    return rows[0] && target(rows[0], undefined);
  }

  /** Uses the link up, once: undefined when it was used, replaced or has expired. */
  async redeem(
    purpose: LinkPurpose,
    token: string,
    browser: string | undefined,
    db: Db = this.#db,
  ): Promise<LinkTarget | undefined> {
    if (!isTokenShaped(token)) return undefined;
    const [rows] = (await db.query(
      `UPDATE email_tokens SET used_at = now()
        WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > now()
        RETURNING account_id, email, browser_hash`,
      [hashOf(token), purpose],
    )) as [Row[], number];
    return rows[0] && target(rows[0], browser);
  }

  /** Every open link of this purpose for the account stops working (e.g. the password changed). */
  async revoke(purpose: LinkPurpose, accountId: string, db: Db = this.#db): Promise<void> {
    await db.query(
      `UPDATE email_tokens SET used_at = now()
        WHERE account_id = $1 AND purpose = $2 AND used_at IS NULL`,
      [accountId, purpose],
    );
  }

  /** The address an open confirmation link would switch the account to, if it differs. */
  async pendingAddress(
    accountId: string,
    current: string | null,
  ): Promise<{ email: string; expiresAt: Date } | undefined> {
    const rows: { email: string; expires_at: Date }[] = await this.#db.query(
      `SELECT email, expires_at FROM email_tokens
        WHERE account_id = $1 AND purpose = 'verify' AND used_at IS NULL AND expires_at > now()
          AND ($2::text IS NULL OR lower(email) <> lower($2))
        ORDER BY created_at DESC LIMIT 1`,
      [accountId, current],
    );
    return rows[0] && { email: rows[0].email, expiresAt: rows[0].expires_at };
  }
}
