// Signing keys and generated cookie keys can be stored sealed under a key-encryption key (KEK):
// a sealed value, and the id of the KEK beside it. Rows already there stay plain until a boot with
// KEY_ENCRYPTION_KEYS (or `keys:rewrap`) seals them; the migration itself needs no key.
import type { MigrationInterface, QueryRunner } from 'typeorm';

export class KeysEncryptedAtRest1796428800000 implements MigrationInterface {
  name = 'KeysEncryptedAtRest1796428800000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE signing_keys
        ALTER COLUMN private_jwk DROP NOT NULL,
        ADD COLUMN sealed_private_jwk bytea,
        ADD COLUMN kek_id text,
        ADD CONSTRAINT signing_keys_plain_or_sealed CHECK (
          (private_jwk IS NULL) <> (sealed_private_jwk IS NULL)
          AND (sealed_private_jwk IS NULL) = (kek_id IS NULL)
        )`);
    await db.query(`
      ALTER TABLE instance_secrets
        ALTER COLUMN value DROP NOT NULL,
        ADD COLUMN sealed_value bytea,
        ADD COLUMN kek_id text,
        ADD CONSTRAINT instance_secrets_plain_or_sealed CHECK (
          (value IS NULL) <> (sealed_value IS NULL)
          AND (sealed_value IS NULL) = (kek_id IS NULL)
        )`);
  }

  async down(db: QueryRunner): Promise<void> {
    // Sealed rows cannot be turned back into plain ones without the key: refuse rather than lose them.
    const [sealed] = await db.query(
      `SELECT (SELECT count(*) FROM signing_keys WHERE kek_id IS NOT NULL)
            + (SELECT count(*) FROM instance_secrets WHERE kek_id IS NOT NULL) AS n`,
    );
    if (Number(sealed?.n ?? 0) > 0) {
      throw new Error('sealed keys are stored: reverting would lose them');
    }
    await db.query(`
      ALTER TABLE instance_secrets
        DROP CONSTRAINT instance_secrets_plain_or_sealed,
        DROP COLUMN kek_id,
        DROP COLUMN sealed_value,
        ALTER COLUMN value SET NOT NULL`);
    await db.query(`
      ALTER TABLE signing_keys
        DROP CONSTRAINT signing_keys_plain_or_sealed,
        DROP COLUMN kek_id,
        DROP COLUMN sealed_private_jwk,
        ALTER COLUMN private_jwk SET NOT NULL`);
  }
}
