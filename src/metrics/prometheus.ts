// The metrics in Prometheus form (prom-client), in a registry of their own. Every label value is
// drawn from a bounded set: anything unexpected is counted as "other", never as itself.
import {
  Counter,
  collectDefaultMetrics,
  Gauge,
  Histogram,
  type LabelValues,
  Registry,
} from 'prom-client';
import type { ThrottleCheck, ThrottleCounter } from '../accounts/login-throttle.ts';
import type {
  BackchannelOutcome,
  Metrics,
  PoolState,
  ReuseKind,
  SignInOutcome,
  UpstreamOutcome,
  UpstreamStep,
} from './metrics.ts';

/** Every metric Latchkey defines (the default process metrics come on top). */
export const METRIC_NAMES = [
  'latchkey_http_requests_total',
  'latchkey_http_request_duration_seconds',
  'latchkey_sign_ins_total',
  'latchkey_sign_ups_total',
  'latchkey_throttled_attempts_total',
  'latchkey_tokens_issued_total',
  'latchkey_token_errors_total',
  'latchkey_token_reuse_total',
  'latchkey_upstream_request_duration_seconds',
  'latchkey_password_hashing_queue_length',
  'latchkey_password_hashing_wait_seconds',
  'latchkey_password_hashing_refused_total',
  'latchkey_backchannel_logout_total',
  'latchkey_redis_command_duration_seconds',
  'latchkey_postgres_query_duration_seconds',
  'latchkey_postgres_pool_connections',
  'latchkey_postgres_pool_waiting',
  'latchkey_postgres_pool_max',
] as const;

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
/** A label value we name ourselves (a method, an upstream id, a command). */
const NAME = /^[a-z][a-z0-9_-]{0,31}$/;
/** More distinct routes than this means a caller passes raw paths: the rest become "other". */
const MAX_ROUTES = 200;

const GRANT_TYPES: ReadonlyMap<string, string> = new Map([
  ['authorization_code', 'authorization_code'],
  ['refresh_token', 'refresh_token'],
  ['client_credentials', 'client_credentials'],
  ['urn:ietf:params:oauth:grant-type:device_code', 'device_code'],
  ['urn:ietf:params:oauth:grant-type:token-exchange', 'token_exchange'],
  ['urn:openid:params:grant-type:ciba', 'ciba'],
]);

const named = (value: string) => (NAME.test(value) ? value : 'other');

/** Histogram children by their label values, so a hot path does not hash labels each time. */
class Children<T extends string, C> {
  readonly #made = new Map<string, C>();
  readonly #make: (labels: LabelValues<T>) => C;

  constructor(make: (labels: LabelValues<T>) => C) {
    this.#make = make;
  }

  get(key: string, labels: () => LabelValues<T>): C {
    let child = this.#made.get(key);
    if (child === undefined) {
      child = this.#make(labels());
      this.#made.set(key, child);
    }
    return child;
  }
}

export class PrometheusMetrics implements Metrics {
  readonly enabled = true;
  readonly registry = new Registry();
  readonly #routes = new Set<string>();

  readonly #requests = new Counter({
    name: 'latchkey_http_requests_total',
    help: 'HTTP requests answered, by route template, method and status code',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [this.registry],
  });
  readonly #requestSeconds = new Histogram({
    name: 'latchkey_http_request_duration_seconds',
    help: 'Time from the request to its answer, by route template, method and status code',
    labelNames: ['route', 'method', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly #requestChildren = new Children(
    (labels: LabelValues<'route' | 'method' | 'status'>) => ({
      count: this.#requests.labels(labels),
      seconds: this.#requestSeconds.labels(labels),
    }),
  );
  readonly #signIns = new Counter({
    name: 'latchkey_sign_ins_total',
    help: 'Sign-in attempts by method (password, passkey, an upstream id, ...) and outcome (success, failure, throttled, unavailable, error)',
    labelNames: ['method', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly #signUps = new Counter({
    name: 'latchkey_sign_ups_total',
    help: 'Accounts created, by method (password, passkey, an upstream id)',
    labelNames: ['method'] as const,
    registers: [this.registry],
  });
  readonly #throttled = new Counter({
    name: 'latchkey_throttled_attempts_total',
    help: 'Attempts refused by the throttle, by check (password, code, sign_up, mail) and the count that was full (account: locked for the window; source; address)',
    labelNames: ['check', 'counter'] as const,
    registers: [this.registry],
  });
  readonly #tokens = new Counter({
    name: 'latchkey_tokens_issued_total',
    help: 'Successful token endpoint answers, by grant type',
    labelNames: ['grant_type'] as const,
    registers: [this.registry],
  });
  readonly #tokenErrors = new Counter({
    name: 'latchkey_token_errors_total',
    help: 'Token endpoint refusals, by grant type and OAuth error code',
    labelNames: ['grant_type', 'error'] as const,
    registers: [this.registry],
  });
  readonly #reuse = new Counter({
    name: 'latchkey_token_reuse_total',
    help: 'Refresh tokens and codes presented again after use (the grant is revoked), by kind',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly #upstreamSeconds = new Histogram({
    name: 'latchkey_upstream_request_duration_seconds',
    help: 'Calls to upstreams (Google, Facebook, X) by upstream, step (authorize: discovery; complete: code exchange and profile) and outcome',
    labelNames: ['upstream', 'step', 'outcome'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly #hashingQueue = new Gauge({
    name: 'latchkey_password_hashing_queue_length',
    help: 'Password checks and hashes waiting for a bcrypt slot',
    registers: [this.registry],
  });
  readonly #hashingWait = new Histogram({
    name: 'latchkey_password_hashing_wait_seconds',
    help: 'How long a password check or hash waited for a bcrypt slot',
    buckets: [0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5],
    registers: [this.registry],
  });
  readonly #hashingRefused = new Counter({
    name: 'latchkey_password_hashing_refused_total',
    help: 'Password checks refused with 503 because the hashing queue was full',
    registers: [this.registry],
  });
  readonly #backchannel = new Counter({
    name: 'latchkey_backchannel_logout_total',
    help: 'Back-channel logout token deliveries, by outcome (delivered, retried, failed: given up)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly #redisSeconds = new Histogram({
    name: 'latchkey_redis_command_duration_seconds',
    help: 'Redis commands by command name and outcome (ok, error)',
    labelNames: ['command', 'outcome'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 2.5],
    registers: [this.registry],
  });
  readonly #redisChildren = new Children((labels: LabelValues<'command' | 'outcome'>) =>
    this.#redisSeconds.labels(labels),
  );
  readonly #postgresSeconds = new Histogram({
    name: 'latchkey_postgres_query_duration_seconds',
    help: 'Postgres queries by operation (select, insert, update, delete, ...) and outcome (ok, error), from sending to the answer',
    labelNames: ['operation', 'outcome'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly #postgresChildren = new Children((labels: LabelValues<'operation' | 'outcome'>) =>
    this.#postgresSeconds.labels(labels),
  );
  readonly #pools: (() => PoolState)[] = [];
  readonly #poolMax = new Gauge({
    name: 'latchkey_postgres_pool_max',
    help: 'The most connections the Postgres pool opens',
    registers: [this.registry],
  });

  readonly throttle = {
    refused: (check: ThrottleCheck, counter: ThrottleCounter) => {
      this.#throttled.inc({ check, counter });
    },
  };

  readonly hashing = {
    queued: (waiting: number) => this.#hashingQueue.set(waiting),
    waited: (seconds: number) => this.#hashingWait.observe(seconds),
    refused: () => this.#hashingRefused.inc(),
  };

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    const pools = this.#pools;
    const sum = (read: (state: PoolState) => number) =>
      pools.reduce((total, pool) => total + read(pool()), 0);
    new Gauge({
      name: 'latchkey_postgres_pool_connections',
      help: 'Postgres pool connections, by state (idle, busy)',
      labelNames: ['state'] as const,
      registers: [this.registry],
      collect() {
        const total = sum((s) => s.totalCount);
        const idle = sum((s) => s.idleCount);
        this.set({ state: 'idle' }, idle);
        this.set({ state: 'busy' }, total - idle);
      },
    });
    new Gauge({
      name: 'latchkey_postgres_pool_waiting',
      help: 'Queries waiting for a Postgres pool connection',
      registers: [this.registry],
      collect() {
        this.set(sum((s) => s.waitingCount));
      },
    });
  }

  request(route: string, method: string, status: number, seconds: number): void {
    let bounded = route;
    if (!this.#routes.has(route)) {
      if (this.#routes.size >= MAX_ROUTES) bounded = 'other';
      else this.#routes.add(route);
    }
    const verb = METHODS.has(method) ? method : 'other';
    const code = status >= 100 && status <= 599 ? status : 0;
    const child = this.#requestChildren.get(`${bounded} ${verb} ${code}`, () => ({
      route: bounded,
      method: verb,
      status: String(code),
    }));
    child.count.inc();
    child.seconds.observe(seconds);
  }

  signIn(method: string, outcome: SignInOutcome): void {
    this.#signIns.inc({ method: named(method), outcome });
  }

  signUp(method: string): void {
    this.#signUps.inc({ method: named(method) });
  }

  upstreamCall(
    upstream: string,
    step: UpstreamStep,
    outcome: UpstreamOutcome,
    seconds: number,
  ): void {
    this.#upstreamSeconds.observe({ upstream: named(upstream), step, outcome }, seconds);
  }

  backchannel(outcome: BackchannelOutcome): void {
    this.#backchannel.inc({ outcome });
  }

  tokenIssued(grantType: string): void {
    this.#tokens.inc({ grant_type: GRANT_TYPES.get(grantType) ?? 'other' });
  }

  tokenRefused(grantType: string, error: string): void {
    this.#tokenErrors.inc({
      grant_type: GRANT_TYPES.get(grantType) ?? 'other',
      error: /^[a-z_]{1,40}$/.test(error) ? error : 'other',
    });
  }

  tokenReuse(kind: ReuseKind): void {
    this.#reuse.inc({ kind });
  }

  redisCommand(command: string, failed: boolean, seconds: number): void {
    const outcome = failed ? 'error' : 'ok';
    this.#redisChildren
      .get(`${command} ${outcome}`, () => ({ command: named(command), outcome }))
      .observe(seconds);
  }

  postgresQuery(operation: string, failed: boolean, seconds: number): void {
    const outcome = failed ? 'error' : 'ok';
    this.#postgresChildren
      .get(`${operation} ${outcome}`, () => ({ operation: named(operation), outcome }))
      .observe(seconds);
  }

  watchPool(pool: () => PoolState, max: number): void {
    this.#pools.push(pool);
    this.#poolMax.inc(max);
  }

  async exposition(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
