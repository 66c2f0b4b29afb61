// Accounts, federated identities, remembered consents, signing keys and instance secrets.
import type { MigrationInterface, QueryRunner } from 'typeorm';

export class InitialSchema1763769600000 implements MigrationInterface {
  name = 'InitialSchema1763769600000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE accounts (
        id uuid PRIMARY KEY,
        email text,
        email_verified boolean NOT NULL DEFAULT false,
        password_hash text,
        name text,
        picture text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT accounts_email_length CHECK (email IS NULL OR char_length(email) <= 254)
      )`);
    await db.query('CREATE UNIQUE INDEX accounts_email_lower_key ON accounts (lower(email))');

    await db.query(`
      CREATE TABLE federated_identities (
        id uuid PRIMARY KEY,
        account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
        provider text NOT NULL,
        subject text NOT NULL,
        email text,
        email_verified boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        last_login_at timestamptz,
        CONSTRAINT federated_identities_provider_subject_key UNIQUE (provider, subject)
      )`);
    await db.query(
      'CREATE INDEX federated_identities_account_id_idx ON federated_identities (account_id)',
    );

    await db.query(`
      CREATE TABLE consents (
        account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
        client_id text NOT NULL,
        scope text NOT NULL DEFAULT '',
        claims jsonb NOT NULL DEFAULT '[]',
        resource_scopes jsonb NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (account_id, client_id)
      )`);

    await db.query(`
      CREATE TABLE signing_keys (
        kid text PRIMARY KEY,
        alg text NOT NULL,
        status text NOT NULL CHECK (status IN ('next', 'active', 'retired')),
        private_jwk jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        activated_at timestamptz,
        retired_at timestamptz
      )`);
    await db.query(
      "CREATE UNIQUE INDEX signing_keys_one_active_per_alg ON signing_keys (alg) WHERE status = 'active'",
    );

    await db.query(`
      CREATE TABLE instance_secrets (
        name text PRIMARY KEY,
        value jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('DROP TABLE instance_secrets');
    await db.query('DROP TABLE signing_keys');
    await db.query('DROP TABLE consents');
    await db.query('DROP TABLE federated_identities');
    await db.query('DROP TABLE accounts');
  }
}
