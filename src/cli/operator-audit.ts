// Operators' commands in the audit trail: each records what it did as an admin.* event (actor
// "operator", with the login name of whoever ran it), written before the command exits.
import { userInfo } from 'node:os';
import type { DataSource } from 'typeorm';
import type { AuditEvent } from '../audit/audit-log.ts';
import { AuditStore } from '../audit/audit-store.ts';
import { AuditWriter } from '../audit/audit-writer.ts';
import { createLogger } from '../logger.ts';

/** The login name running the command, when the system has one for this user. */
export function operatorName(): string | undefined {
  try {
    return userInfo().username || undefined;
  } catch {
    return undefined;
  }
}

export async function recordOperatorEvent(db: DataSource, event: AuditEvent): Promise<void> {
  const writer = new AuditWriter({
    store: new AuditStore(db),
    logger: createLogger('warn', process.stderr),
    flushMs: 10,
    bufferLimit: 100,
  });
  writer.record({ actor: 'operator', ...event });
  await writer.close();
}
