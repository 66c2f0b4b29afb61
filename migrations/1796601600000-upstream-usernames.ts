// The username an upstream shows for a person (X's @handle), kept beside its link so the account
// page can say which account is linked when the upstream gave no email.
import type { MigrationInterface, QueryRunner } from 'typeorm';

export class UpstreamUsernames1796601600000 implements MigrationInterface {
  name = 'UpstreamUsernames1796601600000';

  async up(db: QueryRunner): Promise<void> {
    await db.query('ALTER TABLE federated_identities ADD COLUMN username text');
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('ALTER TABLE federated_identities DROP COLUMN username');
  }
}
