// The audit trail as the app uses it: the buffered writer every part records through, the table,
// pruning by age, and an account's latest events including those still waiting to be written.
import type { DataSource } from 'typeorm';
import type { AuditSettings } from '../config/audit.ts';
import type { Logger } from '../logger.ts';
import { AuditRetention } from './audit-retention.ts';
import { type AuditRow, AuditStore } from './audit-store.ts';
import { AuditWriter } from './audit-writer.ts';

export interface AuditTrail {
  /** Where every part records its events (the AuditLog port). */
  readonly writer: AuditWriter;
  readonly store: AuditStore;
  readonly retention: AuditRetention;
  /** The account's latest `limit` events, those not yet written first. */
  recent(accountId: string, limit: number): Promise<AuditRow[]>;
  /** Stops pruning and writes what is buffered (within `timeoutMs`). */
  close(timeoutMs?: number): Promise<void>;
}

export function createAuditTrail(deps: {
  db: DataSource;
  logger: Logger;
  settings: AuditSettings;
  /** Keys the hash of addresses typed for unknown accounts (derived from the cookie key). */
  hashKey?: Buffer | undefined;
  /** How often the retention pass runs (tests shorten it); default hourly. */
  pruneEveryMs?: number | undefined;
}): AuditTrail {
  const store = new AuditStore(deps.db);
  const writer = new AuditWriter({
    store,
    logger: deps.logger,
    flushMs: deps.settings.flushMs,
    bufferLimit: deps.settings.bufferLimit,
    hashKey: deps.hashKey,
  });
  const retention = new AuditRetention({
    store,
    logger: deps.logger,
    days: deps.settings.retentionDays,
    ...(deps.pruneEveryMs === undefined ? {} : { everyMs: deps.pruneEveryMs }),
  });
  return {
    writer,
    store,
    retention,
    async recent(accountId, limit) {
      // The table first, then the buffer: a batch written in between is missed once, never shown twice.
      const written = await store.recent(accountId, limit);
      const waiting = writer.waiting(accountId).map((row, i) => ({ id: `waiting-${i}`, ...row }));
      return [...waiting, ...written].slice(0, limit);
    },
    async close(timeoutMs) {
      await retention.stop();
      await writer.close(timeoutMs);
    },
  };
}
