// Which failures mean Postgres or Redis is unreachable, and one log line when such an outage
// starts and one when it ends, however many requests fail in between.
import type { Logger } from '../logger.ts';

export type Store = 'postgres' | 'redis';

/** A store did not answer: the request may succeed if retried a few seconds later. */
export class StoreUnavailable extends Error {
  readonly store: Store;

  constructor(store: Store, options?: { cause?: unknown }) {
    super(`${store} is unreachable`, options);
    this.name = 'StoreUnavailable';
    this.store = store;
  }
}

/** Seconds a client is asked to wait before retrying during an outage. */
export const RETRY_AFTER_SECONDS = 5;

// What ioredis rejects commands with while it has no connection (the offline queue is off, so
// these come at once instead of after a wait) or when Redis is starting or stuck.
const REDIS_MESSAGES = [
  /^Connection is closed\./,
  /^Stream isn't writeable/,
  /^Command timed out/,
  /^Command aborted due to connection close/,
  /^Reached the max retries per request limit/,
  /^(LOADING|MASTERDOWN|TRYAGAIN) /,
];
// What pg and its pool say when the server went away or no connection could be made in time.
const POSTGRES_MESSAGES = [
  /^Connection terminated/,
  /^timeout exceeded when trying to connect/,
  /is not queryable/,
  /^Client has encountered a connection error/,
];
// SQLSTATE: connection exceptions, server shutting down or starting, too many connections.
const POSTGRES_CODES = /^(08...|57P0[1-3]|53300)$/;
// Socket errors: ioredis never hands these to a command (it reports them as the messages
// above), so on a request's path they come from opening a Postgres connection.
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

function classify(error: unknown, depth: number): Store | undefined {
  if (error === null || typeof error !== 'object' || depth > 3) return undefined;
  if (error instanceof StoreUnavailable) return error.store;
  const { message, code, name } = error as { message?: unknown; code?: unknown; name?: unknown };
  const text = typeof message === 'string' ? message : '';
  if (name === 'MaxRetriesPerRequestError' || REDIS_MESSAGES.some((m) => m.test(text))) {
    return 'redis';
  }
  if (typeof code === 'string' && (POSTGRES_CODES.test(code) || SOCKET_CODES.has(code))) {
    return 'postgres';
  }
  if (POSTGRES_MESSAGES.some((m) => m.test(text))) return 'postgres';
  // TypeORM wraps driver errors; AggregateError holds one error per address tried.
  const inner = error as { driverError?: unknown; cause?: unknown; errors?: unknown };
  const nested = [
    inner.driverError,
    inner.cause,
    ...(Array.isArray(inner.errors) ? inner.errors : []),
  ];
  for (const candidate of nested) {
    const store = classify(candidate, depth + 1);
    if (store) return store;
  }
  return undefined;
}

/** The StoreUnavailable behind `error`, or undefined when it is not a store outage. */
export function asStoreUnavailable(error: unknown): StoreUnavailable | undefined {
  if (error instanceof StoreUnavailable) return error;
  const store = classify(error, 0);
  return store ? new StoreUnavailable(store, { cause: error }) : undefined;
}

/** A value Postgres refused as data (SQLSTATE class 22: bad encoding, out of range, ...). */
export function isDataError(error: unknown): boolean {
  const { code, driverError } = (error ?? {}) as {
    code?: unknown;
    driverError?: { code?: unknown };
  };
  const sqlState = typeof driverError?.code === 'string' ? driverError.code : code;
  return typeof sqlState === 'string' && /^22[0-9A-Z]{3}$/.test(sqlState);
}

export type Probe = () => Promise<void>;

const PROBE_TIMEOUT_MS = 2000;

/** Rejects when `work` has not settled within `ms`. */
export function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

interface Outage {
  /** suspect: one failure seen, a probe decides; down: confirmed and logged. */
  phase: 'suspect' | 'down';
  since: number;
  failures: number;
  timer: NodeJS.Timeout | undefined;
}

/**
 * Tracks outages. A failure makes a store suspect and probes it at once: only a failed probe
 * starts an outage (so one stray error, or a late one from a request that began during the last
 * outage, logs nothing). An outage logs its start, is probed until the store answers, then logs
 * its end with the duration. Failures in between are only counted.
 */
export class StoreOutages {
  readonly #logger: Logger;
  readonly #probes: Record<Store, Probe>;
  readonly #intervalMs: number;
  readonly #current = new Map<Store, Outage>();
  #closed = false;

  constructor(logger: Logger, probes: Record<Store, Probe>, options: { intervalMs?: number } = {}) {
    this.#logger = logger;
    this.#probes = probes;
    this.#intervalMs = options.intervalMs ?? 500;
  }

  isDown(store: Store): boolean {
    return this.#current.get(store)?.phase === 'down';
  }

  /** `store` failed to answer; logs only when a probe confirms this starts an outage. */
  failed(store: Store, error: unknown): void {
    if (this.#closed) return;
    const current = this.#current.get(store);
    if (current) {
      current.failures += 1;
      return;
    }
    const outage: Outage = { phase: 'suspect', since: Date.now(), failures: 1, timer: undefined };
    this.#current.set(store, outage);
    this.#probe(store).then(
      () => {
        if (this.#current.get(store) === outage) this.#current.delete(store);
      },
      () => {
        if (this.#current.get(store) !== outage || this.#closed) return;
        outage.phase = 'down';
        this.#logger.warn({ event: 'store.down', store, err: error }, `${store} unreachable`);
        this.#schedule(store, outage);
      },
    );
  }

  /** `store` answered; logs the end of its outage if there was one. */
  answered(store: Store): void {
    const outage = this.#current.get(store);
    if (!outage) return;
    clearTimeout(outage.timer);
    this.#current.delete(store);
    if (outage.phase !== 'down' || this.#closed) return;
    this.#logger.info(
      {
        event: 'store.up',
        store,
        downMs: Date.now() - outage.since,
        failures: outage.failures,
      },
      `${store} reachable again`,
    );
  }

  /** Stops probing (at shutdown, when closing connections would look like an outage). */
  close(): void {
    this.#closed = true;
    for (const outage of this.#current.values()) clearTimeout(outage.timer);
  }

  #probe(store: Store): Promise<void> {
    return withTimeout(this.#probes[store](), PROBE_TIMEOUT_MS);
  }

  #schedule(store: Store, outage: Outage): void {
    if (this.#closed) return;
    outage.timer = setTimeout(() => {
      this.#probe(store).then(
        () => {
          if (this.#current.get(store) === outage) this.answered(store);
        },
        () => {
          if (this.#current.get(store) === outage) this.#schedule(store, outage);
        },
      );
    }, this.#intervalMs);
    outage.timer.unref();
  }
}
