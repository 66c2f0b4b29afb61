// The audit_events table: many rows in one INSERT, an account's latest events, operators' searches
// and pruning in batches.
import type { DataSource } from 'typeorm';
import type { AuditActor, AuditOutcome } from './audit-log.ts';

export interface AuditRow {
  /** A bigint, as text. */
  id: string;
  occurredAt: Date;
  type: string;
  outcome: AuditOutcome;
  actor: AuditActor;
  accountId: string | null;
  clientId: string | null;
  sourceAddress: string | null;
  userAgent: string | null;
  requestId: string | null;
  details: Record<string, unknown>;
}

export type NewAuditRow = Omit<AuditRow, 'id'>;

export interface AuditSearch {
  accountId?: string;
  /** Exact types; an entry ending in ".*" matches every type with that prefix. */
  types?: readonly string[];
  since?: Date;
  limit: number;
}

/** Rows deleted per statement when pruning: short statements, short locks. */
export const PRUNE_BATCH_SIZE = 1000;

// The id as text (a bigint); ORDER BY must then name audit_events.id, not this text column.
const COLUMNS = `id::text AS id, occurred_at AS "occurredAt", type, outcome, actor,
  account_id AS "accountId", client_id AS "clientId", source_address AS "sourceAddress",
  user_agent AS "userAgent", request_id AS "requestId", details`;

export class AuditStore {
  readonly #db: DataSource;

  constructor(db: DataSource) {
    this.#db = db;
  }

  /** One statement for the whole batch, whatever its size: ten array parameters, unnested. */
  async insert(rows: readonly NewAuditRow[]): Promise<void> {
    if (rows.length === 0) return;
    const column = <T>(pick: (row: NewAuditRow) => T) => rows.map(pick);
    await this.#db.query(
      `INSERT INTO audit_events (occurred_at, type, outcome, actor, account_id, client_id,
                                 source_address, user_agent, request_id, details)
       SELECT occurred_at, type, outcome, actor, account_id, client_id, source_address,
              user_agent, request_id, details::jsonb
         FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::uuid[],
                     $6::text[], $7::text[], $8::text[], $9::text[], $10::text[])
           AS t(occurred_at, type, outcome, actor, account_id, client_id, source_address,
                user_agent, request_id, details)`,
      [
        column((r) => r.occurredAt),
        column((r) => r.type),
        column((r) => r.outcome),
        column((r) => r.actor),
        column((r) => r.accountId),
        column((r) => r.clientId),
        column((r) => r.sourceAddress),
        column((r) => r.userAgent),
        column((r) => r.requestId),
        column((r) => JSON.stringify(r.details)),
      ],
    );
  }

  /** The account's latest events, newest first (the index on account and time answers it). */
  async recent(accountId: string, limit: number): Promise<AuditRow[]> {
    return this.#db.query(
      `SELECT ${COLUMNS} FROM audit_events WHERE account_id = $1
        ORDER BY occurred_at DESC, audit_events.id DESC LIMIT $2`,
      [accountId, limit],
    );
  }

  async search(filter: AuditSearch): Promise<AuditRow[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (value: unknown) => {
      params.push(value);
      return `$${params.length}`;
    };
    if (filter.accountId !== undefined) where.push(`account_id = ${add(filter.accountId)}`);
    if (filter.since !== undefined) where.push(`occurred_at >= ${add(filter.since)}`);
    if (filter.types && filter.types.length > 0) {
      const exact = filter.types.filter((t) => !t.endsWith('.*'));
      const prefixes = filter.types.filter((t) => t.endsWith('.*')).map((t) => t.slice(0, -1));
      const any: string[] = [];
      if (exact.length > 0) any.push(`type = ANY(${add(exact)}::text[])`);
      for (const prefix of prefixes) any.push(`starts_with(type, ${add(prefix)})`);
      where.push(`(${any.join(' OR ')})`);
    }
    const clause = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
    return this.#db.query(
      `SELECT ${COLUMNS} FROM audit_events ${clause}
        ORDER BY occurred_at DESC, audit_events.id DESC LIMIT ${add(filter.limit)}`,
      params,
    );
  }

  /**
   * Deletes every event older than `before`, a batch per statement; rows another instance is
   * deleting are skipped, not waited for. Returns how many this call deleted.
   */
  async pruneBefore(before: Date, batchSize = PRUNE_BATCH_SIZE): Promise<number> {
    let total = 0;
    for (;;) {
      const [, deleted] = (await this.#db.query(
        `DELETE FROM audit_events WHERE id IN (
           SELECT id FROM audit_events WHERE occurred_at < $1
            ORDER BY occurred_at LIMIT $2 FOR UPDATE SKIP LOCKED)`,
        [before, batchSize],
      )) as [unknown, number];
      total += deleted;
      if (deleted < batchSize) return total;
    }
  }
}
