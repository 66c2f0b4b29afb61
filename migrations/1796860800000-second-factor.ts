// Two-step sign-in: each account's TOTP secret (sealed under a key-encryption key like the signing
// keys, or plain without one), its recovery codes and the browsers it asked to remember, both as
// hashes only, and whether the account always asks for a second step.
import type { MigrationInterface, QueryRunner } from 'typeorm';

export class SecondFactor1796860800000 implements MigrationInterface {
  name = 'SecondFactor1796860800000';

  async up(db: QueryRunner): Promise<void> {
    await db.query('ALTER TABLE accounts ADD COLUMN mfa_required boolean NOT NULL DEFAULT false');
    // last_step: the newest time step accepted, so a code is never accepted twice.
    await db.query(`
      CREATE TABLE totp_factors (
        account_id uuid PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
        secret jsonb,
        sealed_secret bytea,
        kek_id text,
        confirmed_at timestamptz,
        last_step bigint NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT totp_factors_plain_or_sealed CHECK (
          (secret IS NULL) <> (sealed_secret IS NULL)
          AND (sealed_secret IS NULL) = (kek_id IS NULL)
        )
      )`);
    await db.query(`
      CREATE TABLE recovery_codes (
        id uuid PRIMARY KEY,
        account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
        code_hash bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        used_at timestamptz,
        CONSTRAINT recovery_codes_code_hash_key UNIQUE (account_id, code_hash)
      )`);
    await db.query(`
      CREATE TABLE remembered_browsers (
        id uuid PRIMARY KEY,
        account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
        token_hash bytea NOT NULL,
        label text NOT NULL DEFAULT '',
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        CONSTRAINT remembered_browsers_token_hash_key UNIQUE (token_hash)
      )`);
    await db.query(
      'CREATE INDEX remembered_browsers_account_idx ON remembered_browsers (account_id)',
    );
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('DROP TABLE remembered_browsers');
    await db.query('DROP TABLE recovery_codes');
    await db.query('DROP TABLE totp_factors');
    await db.query('ALTER TABLE accounts DROP COLUMN mfa_required');
  }
}
