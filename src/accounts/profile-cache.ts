// Profiles held in memory for a short while, for the claims of tokens and userinfo: a userinfo
// call, a refresh or a single sign-on then costs no Postgres round trip. A change to an account
// drops its entry here at once and, through the change channel, on every other instance too; the
// lifetime bounds how stale an entry can be if a change notice is lost (a subscriber reconnecting,
// a row edited outside Latchkey).
import type { Profile } from './account.ts';

/** How instances tell each other that an account changed (src/db/profile-changes.ts). */
export interface ProfileChangeChannel {
  publish(accountId: string): Promise<void>;
  /** `onChange` for every account another instance changed; `onGap` when notices may be lost. */
  subscribe(onChange: (accountId: string) => void, onGap: () => void): void;
}

export interface ProfileCacheOptions {
  /** How long an entry is used; 0 turns the cache off. */
  ttlSeconds: number;
  /** Entries kept at most; the oldest go first. */
  maxEntries?: number;
  channel?: ProfileChangeChannel;
  /** A failed change notice (the entry is dropped here anyway; others age it out). */
  onPublishError?: (error: unknown) => void;
  now?: () => number;
}

/**
 * How long after a change an account is read from the primary rather than a read replica
 * (`load`'s `fresh`): longer than any replication lag worth running with.
 */
export const FRESH_READ_MS = 30_000;

/** Reads a profile; `fresh` asks for the primary (the account changed a moment ago). */
export type ProfileLoader = (id: string, fresh: boolean) => Promise<Profile | undefined>;

interface Loading {
  promise: Promise<Profile | undefined>;
  /** The account changed while it was being read: what was read is not kept. */
  stale: boolean;
}

export class ProfileCache {
  readonly #ttlMs: number;
  readonly #max: number;
  readonly #channel: ProfileChangeChannel | undefined;
  readonly #onPublishError: (error: unknown) => void;
  readonly #now: () => number;
  readonly #entries = new Map<string, { profile: Profile; until: number }>();
  readonly #loading = new Map<string, Loading>();
  /** When each account last changed, for FRESH_READ_MS; oldest first. */
  readonly #changedAt = new Map<string, number>();
  /** When change notices may have been lost: every account counts as just changed. */
  #allChangedAt = Number.NEGATIVE_INFINITY;

  constructor(options: ProfileCacheOptions) {
    this.#ttlMs = options.ttlSeconds * 1000;
    this.#max = options.maxEntries ?? 50_000;
    this.#channel = options.channel;
    this.#onPublishError = options.onPublishError ?? (() => {});
    this.#now = options.now ?? Date.now;
    this.#channel?.subscribe(
      (accountId) => this.#forget(accountId),
      () => this.clear(),
    );
  }

  /** The profile, from memory while it is fresh, else from `load` (one read per account at once). */
  get(accountId: string, load: ProfileLoader) {
    const fresh = this.#changedRecently(accountId);
    if (this.#ttlMs === 0) return load(accountId, fresh);
    const entry = this.#entries.get(accountId);
    if (entry && entry.until > this.#now()) return Promise.resolve(entry.profile);
    const pending = this.#loading.get(accountId);
    if (pending) return pending.promise;
    const loading: Loading = { stale: false, promise: Promise.resolve(undefined) };
    loading.promise = load(accountId, fresh).finally(() => {
      if (this.#loading.get(accountId) === loading) this.#loading.delete(accountId);
    });
    loading.promise.then(
      (profile) => {
        if (profile && !loading.stale) this.#keep(accountId, profile);
      },
      () => {},
    );
    this.#loading.set(accountId, loading);
    return loading.promise;
  }

  /** An account was written (after its transaction committed): dropped here and everywhere. */
  changed(accountId: string): void {
    this.#forget(accountId);
    this.#channel?.publish(accountId).catch(this.#onPublishError);
  }

  clear(): void {
    this.#allChangedAt = this.#now();
    this.#entries.clear();
    for (const loading of this.#loading.values()) loading.stale = true;
    this.#loading.clear();
  }

  #changedRecently(accountId: string): boolean {
    const since = this.#now() - FRESH_READ_MS;
    if (this.#allChangedAt > since) return true;
    for (const [id, at] of this.#changedAt) {
      if (at > since) break;
      this.#changedAt.delete(id);
    }
    return (this.#changedAt.get(accountId) ?? Number.NEGATIVE_INFINITY) > since;
  }

  #forget(accountId: string): void {
    this.#changedAt.delete(accountId);
    this.#changedAt.set(accountId, this.#now());
    this.#entries.delete(accountId);
    const loading = this.#loading.get(accountId);
    if (loading) {
      loading.stale = true;
      this.#loading.delete(accountId);
    }
  }

  #keep(accountId: string, profile: Profile): void {
    this.#entries.delete(accountId);
    if (this.#entries.size >= this.#max) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    this.#entries.set(accountId, { profile, until: this.#now() + this.#ttlMs });
  }
}
