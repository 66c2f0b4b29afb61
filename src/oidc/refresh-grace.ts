// The refresh grace window: a refresh whose answer was lost can be retried (RFC 9700 §4.14.2).
//
// Refresh tokens rotate on every use and a rotated token presented again revokes the grant. A
// client whose answer was lost (a dropped connection, a killed tab, an outage between the two)
// retries with the token it still holds, and without a window that retry ends the person's
// session. For `graceSeconds` after a rotation, the same refresh token presented again by the same
// client, with the same scope and resource, gets the same answer back: same access token, same new
// refresh token, no second family. After the window, reuse revokes the grant as before.
//
// Who answers: the adapter's consume is one atomic step, so of racing redemptions exactly one
// consumes the token; that one's answer is stored once the library has written it (a provider
// middleware). The others wait for it:
// - a request that read the token already consumed reaches `beforeReuseCheck` (the library calls
//   findAccount after it authenticated the client and checked the refresh token: client, expiry,
//   grant, scope, sender binding; just before it looks at `consumed`);
// - a request that read it unconsumed and lost the race to consume it reaches `lostRace`, which the
//   adapter calls before it would revoke the grant.
// A replayed answer leaves the grant handler as an error that the middleware turns back into the
// stored 200 answer. A consumption that produced no answer stores an empty one, which opens for
// nobody: its duplicates stop waiting and count as reuse. Waiting is bounded (`waitMs` after the
// consumption); no lock is taken, so the first redemption costs no extra round trip.
//
// The answer is stored under a hash of the old token, encrypted with AES-256-GCM under a key
// derived (HKDF-SHA256) from the old token, with the client and request bound as associated data,
// and expires with the window: a copy of Redis gives away no token.
//
// Residual risk: a process killed after the library consumed the token and before the answer was
// stored leaves no answer; a retry then waits out `waitMs` and counts as reuse, as without a window.
import { createCipheriv, createDecipheriv, hash, randomFillSync } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Context, Middleware } from 'koa';
import { errors, type KoaContextWithOIDC, Provider } from 'oidc-provider';
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
  /** How long after a token was consumed its duplicates wait for the answer. */
  waitMs?: number;
  /** How often a waiting duplicate looks for the answer. */
  pollMs?: number;
}

interface Slot {
  answerKey: string;
  key: Buffer;
  aad: Buffer;
}

type TokenAnswer = Record<string, unknown>;

const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Nonces are cut from a block of CSPRNG output, refilled when used up (one call per 256). */
const ivBlock = Buffer.alloc(IV_BYTES * 256);
let ivUsed = ivBlock.length;
function freshIv(): Buffer {
  if (ivUsed === ivBlock.length) {
    randomFillSync(ivBlock);
    ivUsed = 0;
  }
  ivUsed += IV_BYTES;
  return Buffer.from(ivBlock.subarray(ivUsed - IV_BYTES, ivUsed));
}

export class RefreshGrace {
  readonly #redis: RedisClient;
  readonly #prefix: string;
  readonly #graceMs: number;
  readonly #waitMs: number;
  readonly #pollMs: number;
  /** Duplicates answered from the store. */
  readonly #replays = new WeakMap<object, TokenAnswer>();

  constructor(options: RefreshGraceOptions) {
    this.#redis = options.redis;
    this.#prefix = options.prefix;
    this.#graceMs = options.graceSeconds * 1000;
    this.#waitMs = options.waitMs ?? 10_000;
    this.#pollMs = options.pollMs ?? 20;
  }

  get enabled(): boolean {
    return this.#graceMs > 0;
  }

  /** The refresh token of a refresh request the window applies to, or undefined. */
  #presented(ctx: KoaContextWithOIDC | undefined): string | undefined {
    if (!this.enabled || ctx?.oidc?.route !== 'token') return undefined;
    const { params } = ctx.oidc;
    if (params?.grant_type !== 'refresh_token' || typeof params.refresh_token !== 'string') {
      return undefined;
    }
    // A DPoP proof binds the answer to its key; such clients retry with a fresh proof.
    if (ctx.get('dpop') !== '') return undefined;
    return params.refresh_token;
  }

  #slot(ctx: KoaContextWithOIDC, value: string): Slot {
    const answerId = hash('sha256', `${this.#prefix}refreshGrace:${value}`, 'base64url');
    const answerKey = `${this.#prefix}refreshGrace:{${answerId}}`;
    // The token holds 256 random bits: one SHA-256 under its own label derives a key from it, as
    // the other label derives the answer's id (neither tells anything about the other).
    const key = hash(
      'sha256',
      `latchkey refresh grace answer key\0${this.#prefix}${value}`,
      'buffer',
    );
    const { params, client } = ctx.oidc;
    // A retry is the same request: same client, same scope and resource.
    const aad = Buffer.from(
      JSON.stringify([client?.clientId, params?.scope ?? null, params?.resource ?? null]),
    );
    return { answerKey, key, aad };
  }

  /** Called by findAccount during a refresh, right before the library decides on reuse. */
  async beforeReuseCheck(ctx: KoaContextWithOIDC, token: unknown): Promise<void> {
    const value = this.#presented(ctx);
    const refreshToken = token as { kind?: string; consumed?: unknown } | undefined;
    if (value === undefined || refreshToken?.kind !== 'RefreshToken') return;
    // Not consumed yet: the adapter's consume decides who redeems it (see lostRace).
    if (!refreshToken.consumed) return;
    const consumedMs =
      typeof refreshToken.consumed === 'number' ? refreshToken.consumed * 1000 : Date.now();
    // No answer outlives the window. Seconds are all the record keeps: one more covers the rounding.
    const deadline = consumedMs + 1000 + Math.min(this.#waitMs, this.#graceMs);
    await this.#replayOrReturn(ctx, value, deadline);
  }

  /**
   * Called by the adapter when this request read the refresh token unconsumed but another one
   * consumed it first, before the adapter would revoke the grant: throws RefreshReplayed with
   * that request's answer when it is this request's too.
   */
  async lostRace(): Promise<void> {
    const ctx = Provider.ctx as KoaContextWithOIDC | undefined;
    const value = this.#presented(ctx);
    if (ctx === undefined || value === undefined) return;
    await this.#replayOrReturn(ctx, value, Date.now() + this.#waitMs);
  }

  async #replayOrReturn(ctx: KoaContextWithOIDC, value: string, deadline: number): Promise<void> {
    const slot = this.#slot(ctx, value);
    const answer = await this.#awaitAnswer(slot, deadline);
    if (answer) {
      this.#replays.set(ctx, answer);
      throw new RefreshReplayed();
    }
  }

  async #awaitAnswer(slot: Slot, deadline: number): Promise<TokenAnswer | undefined> {
    for (;;) {
      const stored = await this.#redis.get(slot.answerKey);
      if (stored !== null) return this.#open(slot, Buffer.from(stored, 'base64url'));
      if (Date.now() + this.#pollMs > deadline) return undefined;
      await sleep(this.#pollMs);
    }
  }

  /** The answer encrypted, as text: a string travels to Redis in the same write as its neighbours. */
  #seal(slot: Slot, answer: TokenAnswer): string {
    const iv = freshIv();
    const cipher = createCipheriv('aes-256-gcm', slot.key, iv).setAAD(slot.aad);
    const body = Buffer.concat([cipher.update(JSON.stringify(answer), 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
  }

  /** undefined when the answer belongs to another client or another request, or is empty. */
  #open(slot: Slot, stored: Buffer): TokenAnswer | undefined {
    if (stored.length < IV_BYTES + TAG_BYTES) return undefined;
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

  /**
   * Stores the answer of the request that consumed the token, for the window; an empty one when
   * it produced none, so its duplicates stop waiting.
   */
  #finish(ctx: KoaContextWithOIDC & Context, value: string): void {
    const slot = this.#slot(ctx, value);
    const body = ctx.body as TokenAnswer | undefined;
    const sealed =
      ctx.status === 200 && body && typeof body.refresh_token === 'string'
        ? this.#seal(slot, body)
        : '';
    // Not waited for: duplicates poll for the answer, so the client need not wait for Redis.
    this.#redis.set(slot.answerKey, sealed, 'PX', this.#graceMs).catch((error: unknown) => {
      // The tokens are issued: the client gets them; only a retry of this refresh will fail.
      (ctx.state.log as Logger | undefined)?.warn(
        { err: error },
        'refresh answer not kept for the grace window',
      );
    });
  }

  /** Provider middleware: stores first answers and sends replayed ones. */
  middleware(): Middleware {
    return async (ctx, next) => {
      const oidcCtx = ctx as KoaContextWithOIDC & Context;
      try {
        await next();
      } finally {
        // The library names the token it consumed right after consuming it.
        const value = this.#presented(oidcCtx);
        if (value !== undefined && oidcCtx.oidc.entities.RotatedRefreshToken !== undefined) {
          this.#finish(oidcCtx, value);
        }
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
