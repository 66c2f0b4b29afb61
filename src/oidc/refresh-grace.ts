// The refresh grace window: a refresh whose answer was lost can be retried (RFC 9700 §4.14.2).
//
// Refresh tokens rotate on every use and a rotated token presented again revokes the grant. A
// client whose answer was lost (a dropped connection, a killed tab, an outage between the two)
// retries with the token it still holds, and without a window that retry ends the person's
// session. For `graceSeconds` after a rotation, the same refresh token presented again by the same
// client, with the same scope and resource, gets the same answer back: same access token, same new
// refresh token, no second family. Duplicates that arrive while the first redemption is running
// wait for its answer, under a per-token lock. After the window, reuse revokes the grant as before.
//
// Where it runs: the library calls findAccount after it authenticated the client and checked the
// refresh token (client, expiry, grant, scope, sender binding) and just before it looks at
// `consumed`. `beforeReuseCheck` runs there; a replayed answer leaves the grant handler as an
// error that the middleware turns back into the stored 200 answer.
//
// The answer is stored under a hash of the old token, encrypted with AES-256-GCM under a key
// derived (HKDF-SHA256) from the old token, with the client and request bound as associated data,
// and expires with the window: a copy of Redis gives away no token.
//
// Residual risk: a process killed after the library consumed the token and before the answer was
// stored leaves no answer; a retry then counts as reuse and revokes the grant, as without a window.
import {
  createCipheriv,
  createDecipheriv,
  hash,
  hkdfSync,
  randomBytes,
  randomUUID,
} from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Context, Middleware } from 'koa';
import { errors, type KoaContextWithOIDC } from 'oidc-provider';
import type { RedisClient } from '../db/redis.ts';
import type { Logger } from '../logger.ts';

/** Carries a stored answer out of the grant handler; never reaches a client as an error. */
export class RefreshReplayed extends errors.InvalidGrant {
  constructor() {
    super('refresh token already used');
  }
}

export interface RefreshGraceOptions {
  redis: RedisClient;
  /** Key prefix of the provider's records, e.g. "latchkey:oidc:". */
  prefix: string;
  /** 0 turns the window off: every reuse revokes. */
  graceSeconds: number;
  /** How long the first redemption may hold the token's lock; duplicates wait at most this long. */
  lockMs?: number;
  /** How often a waiting duplicate looks for the answer. */
  pollMs?: number;
}

interface Slot {
  answerKey: string;
  lockKey: string;
  key: Buffer;
  aad: Buffer;
}

type TokenAnswer = Record<string, unknown>;

// KEYS[1] lock, KEYS[2] answer; ARGV: owner, sealed answer ("" = none), window ms.
// Stores the answer (if any) and releases the lock if this request still holds it, in one trip.
const FINISH = `
if ARGV[2] ~= '' then redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3]) end
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
`;

type Scripted = RedisClient & {
  latchkeyFinishRefresh(
    lock: string,
    answer: string,
    owner: string,
    sealed: Buffer | string,
    windowMs: number,
  ): Promise<number>;
};

function withFinish(redis: RedisClient): Scripted {
  const scripted = redis as Scripted;
  if (typeof scripted.latchkeyFinishRefresh !== 'function') {
    redis.defineCommand('latchkeyFinishRefresh', { numberOfKeys: 2, lua: FINISH });
  }
  return scripted;
}

const IV_BYTES = 12;
const TAG_BYTES = 16;

export class RefreshGrace {
  readonly #redis: Scripted;
  readonly #prefix: string;
  readonly #graceMs: number;
  readonly #lockMs: number;
  readonly #pollMs: number;
  /** The first redemption of a token: its answer is stored once the library has written it. */
  readonly #pending = new WeakMap<object, { slot: Slot; owner: string }>();
  /** Duplicates answered from the store. */
  readonly #replays = new WeakMap<object, TokenAnswer>();

  constructor(options: RefreshGraceOptions) {
    this.#redis = withFinish(options.redis);
    this.#prefix = options.prefix;
    this.#graceMs = options.graceSeconds * 1000;
    this.#lockMs = options.lockMs ?? 10_000;
    this.#pollMs = options.pollMs ?? 20;
  }

  get enabled(): boolean {
    return this.#graceMs > 0;
  }

  #slot(ctx: KoaContextWithOIDC, value: string): Slot {
    const answerId = hash('sha256', `${this.#prefix}refreshGrace:${value}`, 'base64url');
    // The lock shares the answer's hash tag: the script that finishes touches both in one slot.
    const answerKey = `${this.#prefix}refreshGrace:{${answerId}}`;
    const key = Buffer.from(
      hkdfSync('sha256', value, this.#prefix, 'latchkey refresh grace answer', 32),
    );
    const { params, client } = ctx.oidc;
    // A retry is the same request: same client, same scope and resource.
    const aad = Buffer.from(
      JSON.stringify([client?.clientId, params?.scope ?? null, params?.resource ?? null]),
    );
    return { answerKey, lockKey: `${answerKey}:lock`, key, aad };
  }

  /** Called by findAccount during a refresh, right before the library decides on reuse. */
  async beforeReuseCheck(ctx: KoaContextWithOIDC, token: unknown): Promise<void> {
    if (!this.enabled || ctx?.oidc?.route !== 'token') return;
    const { params } = ctx.oidc;
    if (params?.grant_type !== 'refresh_token' || typeof params.refresh_token !== 'string') return;
    const refreshToken = token as { kind?: string; consumed?: unknown } | undefined;
    if (refreshToken?.kind !== 'RefreshToken') return;
    // A DPoP proof binds the answer to its key; such clients retry with a fresh proof.
    if (ctx.get('dpop') !== '' || this.#pending.has(ctx)) return;

    const slot = this.#slot(ctx, params.refresh_token);
    if (!refreshToken.consumed && (await this.#lock(ctx, slot))) return;

    const answer = await this.#awaitAnswer(slot);
    if (answer) {
      this.#replays.set(ctx, answer);
      throw new RefreshReplayed();
    }
    // The first redemption failed or its lock lapsed: this one may redeem the token now.
    if (!refreshToken.consumed) await this.#lock(ctx, slot);
  }

  async #lock(ctx: KoaContextWithOIDC, slot: Slot): Promise<boolean> {
    const owner = randomUUID();
    const taken = await this.#redis.set(slot.lockKey, owner, 'PX', this.#lockMs, 'NX');
    if (taken !== 'OK') return false;
    this.#pending.set(ctx, { slot, owner });
    return true;
  }

  async #awaitAnswer(slot: Slot): Promise<TokenAnswer | undefined> {
    const deadline = Date.now() + this.#lockMs;
    for (;;) {
      const [stored, locked] = await Promise.all([
        this.#redis.getBuffer(slot.answerKey),
        this.#redis.exists(slot.lockKey),
      ]);
      if (stored) return this.#open(slot, stored);
      if (locked === 0 || Date.now() > deadline) return undefined;
      await sleep(this.#pollMs);
    }
  }

  #seal(slot: Slot, answer: TokenAnswer): Buffer {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', slot.key, iv).setAAD(slot.aad);
    const body = Buffer.concat([cipher.update(JSON.stringify(answer), 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]);
  }

  /** undefined when the answer belongs to another client or another request. */
  #open(slot: Slot, stored: Buffer): TokenAnswer | undefined {
    try {
      const decipher = createDecipheriv('aes-256-gcm', slot.key, stored.subarray(0, IV_BYTES))
        .setAAD(slot.aad)
        .setAuthTag(stored.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      const text = Buffer.concat([
        decipher.update(stored.subarray(IV_BYTES + TAG_BYTES)),
        decipher.final(),
      ]).toString('utf8');
      return JSON.parse(text) as TokenAnswer;
    } catch {
      return undefined;
    }
  }

  /** Stores the first answer for the window and frees the token for its duplicates. */
  async #finish(ctx: Context, pending: { slot: Slot; owner: string }): Promise<void> {
    const body = ctx.body as TokenAnswer | undefined;
    const sealed =
      ctx.status === 200 && body && typeof body.refresh_token === 'string'
        ? this.#seal(pending.slot, body)
        : '';
    try {
      await this.#redis.latchkeyFinishRefresh(
        pending.slot.lockKey,
        pending.slot.answerKey,
        pending.owner,
        sealed,
        this.#graceMs,
      );
    } catch (error) {
      // The tokens are issued: the client gets them; only a retry of this refresh will fail.
      (ctx.state.log as Logger | undefined)?.warn(
        { err: error },
        'refresh answer not kept for the grace window',
      );
    }
  }

  /** Provider middleware: stores first answers and sends replayed ones. */
  middleware(): Middleware {
    return async (ctx, next) => {
      try {
        await next();
      } finally {
        const pending = this.#pending.get(ctx);
        if (pending) await this.#finish(ctx, pending);
      }
      const replay = this.#replays.get(ctx);
      if (replay) {
        ctx.status = 200;
        ctx.type = 'application/json';
        ctx.body = replay;
      }
    };
  }
}
