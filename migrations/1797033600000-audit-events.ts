// The audit trail: one row per security event (sign-ins, changes to how an account signs in,
// sessions ended, consents, token reuse, operators' commands), with who acted, the account and
// application concerned, where the request came from and a few details. No foreign key to
// accounts: the trail outlives what it describes, and writing it costs no lookup.
import type { MigrationInterface, QueryRunner } from 'typeorm';

export class AuditEvents1797033600000 implements MigrationInterface {
  name = 'AuditEvents1797033600000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE audit_events (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        occurred_at timestamptz NOT NULL,
        type text NOT NULL,
        outcome text NOT NULL CHECK (outcome IN ('success', 'failure')),
        actor text NOT NULL CHECK (actor IN ('account', 'operator', 'system')),
        account_id uuid,
        client_id text,
        source_address text,
        user_agent text,
        request_id text,
        details jsonb NOT NULL DEFAULT '{}'
      )`);
    // An account's latest events (the account page, audit --account); only rows that have one.
    await db.query(
      `CREATE INDEX audit_events_account_idx ON audit_events (account_id, occurred_at DESC)
        WHERE account_id IS NOT NULL`,
    );
    // Pruning by age, and operators' searches by time.
    await db.query('CREATE INDEX audit_events_occurred_idx ON audit_events (occurred_at)');
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('DROP TABLE audit_events');
  }
}
