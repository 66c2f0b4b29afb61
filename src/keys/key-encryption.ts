// Envelope encryption of the secrets Latchkey keeps in Postgres (signing keys, generated cookie
// keys): AES-256-GCM under a key-encryption key (KEK) from KEY_ENCRYPTION_KEYS, whose id is stored
// beside each row so older KEKs keep decrypting during a rotation.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { KeyEncryptionKey } from '../config.ts';

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HEADER = 1 + IV_BYTES + TAG_BYTES;

/** A secret as one row stores it: plain JSON (no KEK configured), or sealed under `kekId`. */
export interface StoredSecret {
  plain: unknown;
  sealed: Buffer | null;
  kekId: string | null;
}

/** One stored secret that this process cannot read; `problem` names it and why, never its value. */
export class SecretUnreadable extends Error {
  readonly problem: string;

  constructor(problem: string, options?: { cause?: unknown }) {
    super(problem, options);
    this.name = 'SecretUnreadable';
    this.problem = problem;
  }
}

/** Every stored secret that could not be read, so one boot error lists them all. */
export class StoredKeysUnreadable extends Error {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(
      `stored keys cannot be read with KEY_ENCRYPTION_KEYS: ${problems.join('; ')}. Set KEY_ENCRYPTION_KEYS to the key(s) these rows were encrypted with (keep the old one listed after the new one until keys:rewrap has run).`,
    );
    this.name = 'StoredKeysUnreadable';
    this.problems = problems;
  }
}

export class KeyRing {
  readonly #keys: ReadonlyMap<string, Buffer>;
  readonly #newest: KeyEncryptionKey | undefined;

  constructor(keys: readonly KeyEncryptionKey[]) {
    this.#keys = new Map(keys.map((k) => [k.id, k.key]));
    this.#newest = keys[0];
  }

  /** False when no KEK is configured: secrets are then stored in plain text (development). */
  get enabled(): boolean {
    return this.#newest !== undefined;
  }

  /** The KEK new secrets are sealed with. */
  get newestId(): string | undefined {
    return this.#newest?.id;
  }

  /**
   * Stores `value` sealed under the newest KEK (plain without one). `context` names the row
   * (e.g. "signing_keys:<kid>") and is authenticated, so a sealed value cannot move to another row.
   */
  protect(value: unknown, context: string): StoredSecret {
    const kek = this.#newest;
    if (!kek) return { plain: value, sealed: null, kekId: null };
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', kek.key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(aad(context, kek.id));
    const body = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
    return {
      plain: null,
      sealed: Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), body]),
      kekId: kek.id,
    };
  }

  /** The value of a stored secret; `label` says what it is in error messages ("signing key X"). */
  reveal(stored: StoredSecret, context: string, label: string): unknown {
    if (stored.sealed === null || stored.kekId === null) return stored.plain;
    const key = this.#keys.get(stored.kekId);
    if (!key) {
      throw new SecretUnreadable(
        this.enabled
          ? `${label} is encrypted with key-encryption key "${stored.kekId}", which KEY_ENCRYPTION_KEYS does not list (it lists ${[...this.#keys.keys()].map((id) => `"${id}"`).join(', ')})`
          : `${label} is encrypted with key-encryption key "${stored.kekId}", but KEY_ENCRYPTION_KEYS is not set`,
      );
    }
    const sealed = stored.sealed;
    if (sealed.length < HEADER || sealed[0] !== VERSION) {
      throw new SecretUnreadable(`${label} is not in a format this version can read`);
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(1, 1 + IV_BYTES), {
        authTagLength: TAG_BYTES,
      });
      decipher.setAAD(aad(context, stored.kekId));
      decipher.setAuthTag(sealed.subarray(1 + IV_BYTES, HEADER));
      const text = Buffer.concat([decipher.update(sealed.subarray(HEADER)), decipher.final()]);
      return JSON.parse(text.toString('utf8'));
    } catch (error) {
      throw new SecretUnreadable(
        `${label} does not decrypt with key-encryption key "${stored.kekId}": KEY_ENCRYPTION_KEYS holds a different key under that id, or the row was altered`,
        { cause: error },
      );
    }
  }
}

function aad(context: string, kekId: string): Buffer {
  return Buffer.from(`latchkey:v${VERSION}:${context}:${kekId}`, 'utf8');
}
