// keys:list, keys:stage, keys:rotate, keys:prune and keys:rewrap: signing keys and the
// key-encryption keys that seal every stored key.
import type { DataSource } from 'typeorm';
import type { Config } from '../config.ts';
import { KeyRing, StoredKeysUnreadable } from '../keys/key-encryption.ts';
import { type KeyInfo, SigningKeyStore } from '../keys/signing-keys.ts';
import { rewrapSecrets, type WrapCounts } from '../keys/stored-secrets.ts';
import { type Command, CommandFailed, options, UsageError } from './command.ts';
import { databaseCommand, withDatabase } from './database.ts';
import { recordOperatorEvent } from './operator-audit.ts';
import { formatDate, say, sayLines, table } from './output.ts';

const DEFAULT_PRUNE_DAYS = 7;
const SECONDS_PER_DAY = 86_400;

const RESTART_REMINDER =
  'Running instances load signing keys only at startup: do a rolling restart of every instance to pick up this change.';
const RETIRED_REMINDER =
  'Retired keys stay published in the JWKS, so tokens they signed still verify, until removed with keys:prune.';

/** The signing-key store; one that creates keys warns when they cannot be sealed. */
function keyStore(db: DataSource, config: Config, { creating = false } = {}): SigningKeyStore {
  const ring = new KeyRing(config.keyEncryptionKeys);
  if (creating && !ring.enabled) {
    process.stderr.write(
      'warning: KEY_ENCRYPTION_KEYS is not set: keys created now are stored in plain text (development only).\n',
    );
  }
  return new SigningKeyStore(db, ring);
}

function sayKeys(
  title: string,
  keys: readonly KeyInfo[],
  note: (key: KeyInfo) => string = () => '',
) {
  say(title);
  for (const key of keys) say(`  ${key.alg.padEnd(6)} ${key.kid}${note(key)}`);
}

export const listKeysCommand = databaseCommand(
  'keys:list',
  'list signing keys (no private material)',
  async (db, config) => {
    const keys = await keyStore(db, config).list();
    if (keys.length === 0) {
      say('No signing keys yet: the server creates them at startup, or run keys:rotate.');
      return;
    }
    const rows = keys.map((key) => [
      key.kid,
      key.alg,
      key.status,
      formatDate(key.createdAt),
      formatDate(key.activatedAt),
      formatDate(key.retiredAt),
      key.kekId === null ? 'plain text' : `sealed (${key.kekId})`,
    ]);
    sayLines(table(['KID', 'ALG', 'STATUS', 'CREATED', 'ACTIVATED', 'RETIRED', 'AT REST'], rows));
    say();
    say(
      'active: signs tokens; next: published, signs after keys:rotate; retired: published until keys:prune.',
    );
  },
);

export const stageKeysCommand = databaseCommand(
  'keys:stage',
  'publish new keys without signing with them',
  async (db, config) => {
    const store = keyStore(db, config, { creating: true });
    const replaced = (await store.list()).filter((key) => key.status === 'next');
    const staged = await store.stage();
    await recordOperatorEvent(db, {
      type: 'admin.keys_staged',
      details: { kids: staged.map((k) => k.kid), replaced: replaced.map((k) => k.kid) },
    });
    sayKeys('Staged new signing keys (published, not used for signing yet):', staged);
    if (replaced.length > 0) sayKeys('Replaced the keys staged before:', replaced);
    say();
    say(RESTART_REMINDER);
    say(
      'Once every instance publishes the staged keys and relying parties have refreshed their cached JWKS, run keys:rotate.',
    );
    say(RETIRED_REMINDER);
  },
);

export const rotateKeysCommand = databaseCommand(
  'keys:rotate',
  'sign with the staged (or new) keys, retire old',
  async (db, config) => {
    const store = keyStore(db, config, { creating: true });
    const before = await store.list();
    const active = await store.rotate();
    const retired = before.filter((key) => key.status === 'active');
    const wasStaged = new Set(before.filter((k) => k.status === 'next').map((k) => k.kid));
    await recordOperatorEvent(db, {
      type: 'admin.keys_rotated',
      details: { active: active.map((k) => k.kid), retired: retired.map((k) => k.kid) },
    });
    sayKeys('Now signing with:', active, (key) => (wasStaged.has(key.kid) ? '' : ' (new)'));
    if (retired.length > 0) sayKeys('Retired:', retired);
    const unannounced = active.filter((key) => !wasStaged.has(key.kid));
    if (unannounced.length > 0 && retired.length > 0) {
      say();
      say(
        `No key was staged for ${unannounced.map((k) => k.alg).join(', ')}: relying parties that cached the JWKS will not know the new key until they fetch it again. Next time run keys:stage and a rolling restart first.`,
      );
    }
    say();
    say(RESTART_REMINDER);
    say(RETIRED_REMINDER);
  },
);

export const pruneKeysCommand: Command = {
  usage: 'keys:prune [--older-than-days N]',
  summary: `delete keys retired over N days ago (${DEFAULT_PRUNE_DAYS})`,
  parse(args) {
    const values = options(args, { 'older-than-days': { type: 'string' } });
    const text = values['older-than-days'] ?? String(DEFAULT_PRUNE_DAYS);
    const days = Number(text);
    if (!/^\d+$/.test(text) || days > 36_500) {
      throw new UsageError(`--older-than-days must be a whole number of days (got "${text}").`);
    }
    return (config) =>
      withDatabase(config, async (db) => {
        const removed = await keyStore(db, config).prune(days * SECONDS_PER_DAY);
        await recordOperatorEvent(db, {
          type: 'admin.keys_pruned',
          details: { older_than_days: days, removed },
        });
        if (removed.length === 0) {
          say(`No keys retired more than ${days} day(s) ago; nothing removed.`);
          return;
        }
        say(`Removed ${removed.length} key(s) retired more than ${days} day(s) ago:`);
        for (const kid of removed) say(`  ${kid}`);
        say();
        say(
          'Running instances keep publishing the removed keys until they restart (rolling restart).',
        );
      });
  },
};

function wrapLine(what: string, counts: Record<string, number> | undefined): string {
  const parts = Object.entries(counts ?? {}).map(([from, n]) =>
    from === 'plaintext' ? `${n} from plain text` : `${n} from "${from}"`,
  );
  const total = Object.values(counts ?? {}).reduce((a, b) => a + b, 0);
  return `  ${what.padEnd(34)} ${total}${parts.length > 0 ? ` (${parts.join(', ')})` : ''}`;
}

export const rewrapKeysCommand = databaseCommand(
  'keys:rewrap',
  're-encrypt stored keys with the newest KEK',
  async (db, config) => {
    const ring = new KeyRing(config.keyEncryptionKeys);
    const newest = ring.newestId;
    if (!newest) {
      throw new CommandFailed(
        'KEY_ENCRYPTION_KEYS is not set: there is no key-encryption key to encrypt with. List the new key first, then the old ones.',
      );
    }
    let counts: WrapCounts;
    try {
      counts = await rewrapSecrets(db, ring);
    } catch (error) {
      if (!(error instanceof StoredKeysUnreadable)) throw error;
      throw new CommandFailed(
        `Nothing was changed: ${error.problems.join('; ')}. List every key-encryption key the rows use in KEY_ENCRYPTION_KEYS, after the new one.`,
      );
    }
    const total = (counts: Record<string, number> | undefined) =>
      Object.values(counts ?? {}).reduce((a, b) => a + b, 0);
    await recordOperatorEvent(db, {
      type: 'admin.keys_rewrapped',
      details: {
        kek: newest,
        signing_keys: total(counts.signing_keys),
        cookie_keys: total(counts.instance_secrets),
      },
    });
    say(`Re-encrypted every stored key with key-encryption key "${newest}", in one transaction:`);
    say(wrapLine('signing keys', counts.signing_keys));
    say(wrapLine('generated cookie keys', counts.instance_secrets));
    say();
    say(
      `Every instance must list "${newest}" in KEY_ENCRYPTION_KEYS before it restarts. Once all do, older key-encryption keys can be removed from it: no stored key needs them any more.`,
    );
  },
);
