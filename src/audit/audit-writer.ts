// The audit trail's writer: events go into an in-process buffer at once and reach Postgres in
// batches (one INSERT of up to BATCH_SIZE rows) every few milliseconds, so a request never waits
// for them. The buffer is bounded: when Postgres cannot keep up, newer events are dropped, counted
// and logged, never queued without limit. Close it on shutdown: it writes what it still holds.
import { createHmac } from 'node:crypto';
import { asStoreUnavailable } from '../db/store-outages.ts';
import type { Logger } from '../logger.ts';
import { currentAuditContext } from './audit-context.ts';
import type { AuditDetails, AuditEvent, AuditLog } from './audit-log.ts';
import type { AuditStore, NewAuditRow } from './audit-store.ts';

/** Rows per INSERT; a buffer this full is written at once instead of at the next tick. */
export const BATCH_SIZE = 500;
/** The most a repeated warning (dropped events, failed writes) is logged: once per interval. */
const WARN_INTERVAL_MS = 10_000;

const MAX_USER_AGENT = 256;
const MAX_TEXT = 200;
const MAX_DETAILS = 12;
const MAX_LIST = 16;
const DETAIL_KEY = /^[a-z][a-z0-9_]{0,31}$/;
// A safety net: nothing recorded should ever be named like a secret. ("passkey_id" is fine.)
const SECRET_KEY = /password|secret|token|credential|cookie|assertion|(^|_)code$|^otp$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface AuditWriterOptions {
  store: AuditStore;
  logger: Logger;
  /** How long an event may wait in the buffer (AUDIT_FLUSH_MS). */
  flushMs: number;
  /** Events that may wait; more are dropped (AUDIT_BUFFER_LIMIT). */
  bufferLimit: number;
  /** Keys the hash of an address typed for an unknown account; without it none is stored. */
  hashKey?: Buffer | undefined;
}

/** Short text columns: control characters out, length bounded. */
function text(value: unknown, max: number): string | null {
  if (typeof value !== 'string' || value === '') return null;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping them is the point.
  return value.replace(/[\u0000-\u001f\u007f]/g, ' ').slice(0, max);
}

/** Only short plain values under plain names; anything named like a secret is left out. */
export function cleanDetails(details: AuditDetails | undefined): Record<string, unknown> {
  const clean: Record<string, unknown> = {};
  if (!details) return clean;
  for (const [key, value] of Object.entries(details).slice(0, MAX_DETAILS)) {
    if (!DETAIL_KEY.test(key) || SECRET_KEY.test(key)) continue;
    if (typeof value === 'string') clean[key] = text(value, MAX_TEXT) ?? '';
    else if (typeof value === 'number' && Number.isFinite(value)) clean[key] = value;
    else if (typeof value === 'boolean') clean[key] = value;
    else if (Array.isArray(value)) {
      clean[key] = value.slice(0, MAX_LIST).map((v) => text(String(v), 64) ?? '');
    }
  }
  return clean;
}

export class AuditWriter implements AuditLog {
  readonly #store: AuditStore;
  readonly #logger: Logger;
  readonly #flushMs: number;
  readonly #bufferLimit: number;
  readonly #hashKey: Buffer | undefined;
  #buffer: NewAuditRow[] = [];
  /** The batch being inserted: neither in the buffer nor yet in the table. */
  #inFlight: readonly NewAuditRow[] = [];
  #timer: NodeJS.Timeout | undefined;
  #draining: Promise<void> | undefined;
  #closed = false;
  #written = 0;
  #dropped = 0;
  #droppedSinceWarning = 0;
  #lastDropWarning = 0;
  #lastFailureWarning = 0;

  constructor(options: AuditWriterOptions) {
    this.#store = options.store;
    this.#logger = options.logger;
    this.#flushMs = options.flushMs;
    this.#bufferLimit = options.bufferLimit;
    this.#hashKey = options.hashKey;
  }

  /** Written and dropped since start, and what waits now. */
  get stats() {
    return { written: this.#written, dropped: this.#dropped, waiting: this.#buffer.length };
  }

  record(event: AuditEvent): void {
    try {
      if (this.#closed) {
        this.#drop();
        return;
      }
      if (this.#buffer.length >= this.#bufferLimit) {
        this.#drop();
        return;
      }
      this.#buffer.push(this.#row(event));
      if (this.#buffer.length >= BATCH_SIZE) void this.#drain();
      else this.#schedule();
    } catch (error) {
      // Recording is never the reason a request fails.
      this.#logger.error({ event: 'audit.record_failed', err: error }, 'audit event not recorded');
    }
  }

  /** Events of the account not yet in the table, newest first (the account page shows them). */
  waiting(accountId: string): NewAuditRow[] {
    return [...this.#inFlight, ...this.#buffer].filter((r) => r.accountId === accountId).reverse();
  }

  /** Writes everything buffered now; resolves when the buffer is empty or a write failed. */
  flush(): Promise<void> {
    return this.#drain();
  }

  /**
   * Stops taking events and writes what is buffered, giving up after `timeoutMs`; whatever is
   * left then is counted as dropped and logged.
   */
  async close(timeoutMs = 5000): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const deadline = Date.now() + timeoutMs;
    while ((this.#buffer.length > 0 || this.#draining) && Date.now() < deadline) {
      const before = this.#written;
      await Promise.race([
        this.#drain(),
        new Promise((resolve) => setTimeout(resolve, Math.max(0, deadline - Date.now())).unref()),
      ]);
      // A failed write leaves rows in the buffer: try again shortly, until the deadline.
      if (this.#written === before && this.#buffer.length > 0) {
        await new Promise((resolve) => setTimeout(resolve, 100).unref());
      }
    }
    const left = this.#buffer.length;
    if (left > 0) {
      this.#buffer = [];
      this.#dropped += left;
      this.#logger.error(
        { event: 'audit.dropped', count: left, reason: 'shutdown' },
        'audit events not written before shutdown',
      );
    }
  }

  #row(event: AuditEvent): NewAuditRow {
    const context = currentAuditContext();
    const details = cleanDetails(event.details);
    if (event.attemptedEmail !== undefined && this.#hashKey) {
      details.address_hash = createHmac('sha256', this.#hashKey)
        .update(event.attemptedEmail.trim().toLowerCase())
        .digest('hex')
        .slice(0, 32);
    }
    const actor = event.actor ?? context?.actor ?? 'system';
    if (actor === 'operator' && context?.operator) details.operator = text(context.operator, 64);
    const accountId = event.accountId && UUID.test(event.accountId) ? event.accountId : null;
    return {
      occurredAt: new Date(),
      type: event.type,
      outcome: event.outcome ?? 'success',
      actor,
      accountId,
      clientId: text(event.clientId ?? context?.clientId, MAX_TEXT),
      sourceAddress: text(context?.source, 64),
      userAgent: text(context?.userAgent, MAX_USER_AGENT),
      requestId: text(context?.requestId, 64),
      details,
    };
  }

  #drop(): void {
    this.#dropped += 1;
    this.#droppedSinceWarning += 1;
    const now = Date.now();
    if (now - this.#lastDropWarning < WARN_INTERVAL_MS) return;
    this.#lastDropWarning = now;
    this.#logger.warn(
      {
        event: 'audit.dropped',
        count: this.#droppedSinceWarning,
        total: this.#dropped,
        limit: this.#bufferLimit,
        reason: this.#closed ? 'closed' : 'buffer_full',
      },
      'audit events dropped',
    );
    this.#droppedSinceWarning = 0;
  }

  #schedule(): void {
    if (this.#timer || this.#draining || this.#closed) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#drain();
    }, this.#flushMs);
    this.#timer.unref();
  }

  #drain(): Promise<void> {
    if (!this.#draining) {
      this.#draining = this.#writeAll().finally(() => {
        this.#draining = undefined;
        if (this.#buffer.length > 0) this.#schedule();
      });
    }
    return this.#draining;
  }

  async #writeAll(): Promise<void> {
    while (this.#buffer.length > 0) {
      const batch = this.#buffer.splice(0, BATCH_SIZE);
      this.#inFlight = batch;
      try {
        await this.#store.insert(batch);
        this.#written += batch.length;
      } catch (error) {
        const outage = asStoreUnavailable(error) !== undefined;
        if (outage) {
          // Kept for the next attempt, as far as the buffer's bound allows.
          const room = Math.max(0, this.#bufferLimit - this.#buffer.length);
          this.#buffer.unshift(...batch.slice(0, room));
          this.#dropped += batch.length - Math.min(room, batch.length);
        } else {
          this.#dropped += batch.length;
        }
        this.#warnFailure(error, batch.length, outage);
        return;
      } finally {
        this.#inFlight = [];
      }
    }
  }

  #warnFailure(error: unknown, rows: number, outage: boolean): void {
    const now = Date.now();
    if (!outage || now - this.#lastFailureWarning >= WARN_INTERVAL_MS) {
      this.#lastFailureWarning = now;
      this.#logger[outage ? 'warn' : 'error'](
        {
          event: 'audit.write_failed',
          rows,
          kept: outage,
          err: error instanceof Error ? { message: error.message } : String(error),
        },
        outage ? 'audit events wait: Postgres unreachable' : 'audit events dropped: insert failed',
      );
    }
  }
}
