// Proving who owns an address: accounts whose sign-up awaits its confirmation link, and the
// single-use links themselves (confirm an address, reset a password), stored as hashes.
import type { MigrationInterface, QueryRunner } from 'typeorm';

export class EmailOwnership1796774400000 implements MigrationInterface {
  name = 'EmailOwnership1796774400000';

  async up(db: QueryRunner): Promise<void> {
    await db.query('ALTER TABLE accounts ADD COLUMN signup_pending boolean NOT NULL DEFAULT false');
    await db.query(`
      CREATE TABLE email_tokens (
        id uuid PRIMARY KEY,
        account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
        purpose text NOT NULL CHECK (purpose IN ('verify', 'reset')),
        token_hash bytea NOT NULL,
        email text NOT NULL,
        browser_hash bytea,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        used_at timestamptz,
        CONSTRAINT email_tokens_token_hash_key UNIQUE (token_hash)
      )`);
    await db.query(
      'CREATE INDEX email_tokens_open_idx ON email_tokens (account_id, purpose) WHERE used_at IS NULL',
    );
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('DROP TABLE email_tokens');
    await db.query('ALTER TABLE accounts DROP COLUMN signup_pending');
  }
}
