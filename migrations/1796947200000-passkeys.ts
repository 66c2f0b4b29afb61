// Passkeys (WebAuthn credentials): each account's public keys, with the signature counter and
// backup flags the authenticator reported, a name the person chose, and when it was last used.
import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Passkeys1796947200000 implements MigrationInterface {
  name = 'Passkeys1796947200000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE passkeys (
        id uuid PRIMARY KEY,
        account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
        credential_id text NOT NULL,
        public_key bytea NOT NULL,
        user_handle text NOT NULL,
        counter bigint NOT NULL DEFAULT 0 CHECK (counter >= 0),
        transports text[] NOT NULL DEFAULT '{}',
        backup_eligible boolean NOT NULL,
        backed_up boolean NOT NULL,
        aaguid text NOT NULL,
        name text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz,
        CONSTRAINT passkeys_credential_id_key UNIQUE (credential_id)
      )`);
    await db.query('CREATE INDEX passkeys_account_idx ON passkeys (account_id)');
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('DROP TABLE passkeys');
  }
}
