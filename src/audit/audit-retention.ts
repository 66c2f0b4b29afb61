// Keeps the audit trail to AUDIT_RETENTION_DAYS: every instance prunes older events now and then,
// in batches (several instances skip each other's rows instead of waiting for them).
import type { Logger } from '../logger.ts';
import type { AuditStore } from './audit-store.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
/** How often older events are looked for; the first time soon after start. */
export const PRUNE_EVERY_MS = 60 * 60 * 1000;
const FIRST_PRUNE_MS = 60 * 1000;

export function retentionCutoff(days: number, now = Date.now()): Date {
  return new Date(now - days * DAY_MS);
}

export class AuditRetention {
  readonly #store: AuditStore;
  readonly #logger: Logger;
  readonly #days: number;
  readonly #everyMs: number;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;

  constructor(options: { store: AuditStore; logger: Logger; days: number; everyMs?: number }) {
    this.#store = options.store;
    this.#logger = options.logger;
    this.#days = options.days;
    this.#everyMs = options.everyMs ?? PRUNE_EVERY_MS;
  }

  start(): void {
    if (this.#timer || this.#stopped) return;
    this.#next(Math.min(FIRST_PRUNE_MS, this.#everyMs));
  }

  /** Prunes once now; failures are logged, never thrown. */
  pruneNow(): Promise<void> {
    this.#running ??= this.#prune().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  /** No further pruning; waits for one in progress. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  #next(ms: number): void {
    this.#timer = setTimeout(() => {
      void this.pruneNow().then(() => {
        if (!this.#stopped) this.#next(this.#everyMs);
      });
    }, ms);
    this.#timer.unref();
  }

  async #prune(): Promise<void> {
    const before = retentionCutoff(this.#days);
    try {
      const deleted = await this.#store.pruneBefore(before);
      if (deleted > 0) {
        this.#logger.info(
          { event: 'audit.pruned', deleted, before: before.toISOString() },
          'old audit events deleted',
        );
      }
    } catch (error) {
      this.#logger.warn(
        {
          event: 'audit.prune_failed',
          err: error instanceof Error ? { message: error.message } : String(error),
        },
        'audit events not pruned',
      );
    }
  }
}
