// The audit trail's settings: how long events are kept, and how the writer batches them.
import type { Reader } from './reader.ts';

export interface AuditSettings {
  /** Events older than this many days are deleted (AUDIT_RETENTION_DAYS). */
  readonly retentionDays: number;
  /** The longest an event waits in memory before its batch is written (AUDIT_FLUSH_MS). */
  readonly flushMs: number;
  /** Events that may wait to be written; more are dropped and logged (AUDIT_BUFFER_LIMIT). */
  readonly bufferLimit: number;
}

export function readAudit(r: Reader): AuditSettings {
  return {
    retentionDays: r.integer('AUDIT_RETENTION_DAYS', 1, 36_500),
    flushMs: r.integer('AUDIT_FLUSH_MS', 10, 10_000),
    bufferLimit: r.integer('AUDIT_BUFFER_LIMIT', 100, 1_000_000),
  };
}
