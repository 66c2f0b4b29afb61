// Writing and deleting a record with its indexes when they live in different hash slots (always
// possible on a Redis Cluster): each step is atomic on one slot, and the steps run in the order
// that keeps every state in between safe (DESIGN.md "Redis layout"):
// - an index entry is added before its record is written, so no record is ever missing from the
//   grant index that revoking its grant walks;
// - a record is deleted before its index entries, so an entry may point at nothing for a moment
//   (or for good, if a step fails): every reader takes a missing record for none, and sorted-set
//   entries lapse with their score.
// On one server (standalone or Sentinel) the steps of a write are sent together without waiting
// in between: Redis runs one connection's commands in order, so the order holds at one round trip.
// There a token (a record whose only index is its grant's) and its index entry are one script.
import { isCluster } from '../db/redis.ts';
import {
  accountIndexKey,
  GRANTABLE,
  grantIndexKey,
  metaKey,
  sessionUidKey,
  storedKey,
} from './redis-keys.ts';
import type { Links, Scripted } from './redis-scripts.ts';

/** What a record's indexes are derived from; "" where it has none. */
export interface RecordLinks {
  grantId: string;
  accountId: string;
  uid: string;
  userCodeKey: string;
}

export interface RecordWrite {
  model: string;
  /** The id the record is stored under (redis-keys.ts storageId). */
  sid: string;
  json: string;
  ttlMs: number;
  jtiIsId: boolean;
  links: RecordLinks;
}

function hasMeta(model: string): model is 'Session' | 'Grant' {
  return model === 'Session' || model === 'Grant';
}

function accountKind(model: string): 'sessions' | 'grants' | undefined {
  if (model === 'Session') return 'sessions';
  if (model === 'Grant') return 'grants';
  return undefined;
}

/** The links a model keeps indexes for (the others are ignored). */
function relevant(model: string, links: RecordLinks): RecordLinks {
  return {
    grantId: GRANTABLE.has(model) ? links.grantId : '',
    accountId: accountKind(model) ? links.accountId : '',
    uid: model === 'Session' ? links.uid : '',
    userCodeKey: links.userCodeKey,
  };
}

function fromScript(links: Links): RecordLinks | undefined {
  if (links.length === 0) return undefined;
  const [grantId, accountId, uid, userCodeKey] = links;
  return { grantId, accountId, uid, userCodeKey };
}

/** The record's keys in its slot: the record, and its metadata hash for sessions and grants. */
function recordKeys(prefix: string, model: string, sid: string): string[] {
  const key = storedKey(prefix, model, sid);
  return hasMeta(model) ? [key, metaKey(prefix, model, sid)] : [key];
}

/** Removes a record's entries from the indexes named by `links` (each index its own step). */
function unlink(
  redis: Scripted,
  prefix: string,
  model: string,
  sid: string,
  links: RecordLinks,
): Promise<unknown>[] {
  const now = Date.now();
  const steps: Promise<unknown>[] = [];
  if (links.grantId !== '') {
    steps.push(
      redis.latchkeyIndexRemove(
        grantIndexKey(prefix, links.grantId),
        now,
        storedKey(prefix, model, sid),
      ),
    );
  }
  const kind = accountKind(model);
  if (kind && links.accountId !== '') {
    steps.push(redis.latchkeyIndexRemove(accountIndexKey(prefix, links.accountId, kind), now, sid));
  }
  if (links.uid !== '')
    steps.push(redis.latchkeyPointerDrop(sessionUidKey(prefix, links.uid), sid));
  if (links.userCodeKey !== '') steps.push(redis.latchkeyPointerDrop(links.userCodeKey, sid));
  return steps;
}

/** Saves a record and its index entries (see the order above). */
export async function writeRecord(
  redis: Scripted,
  prefix: string,
  record: RecordWrite,
): Promise<void> {
  const { model, sid, ttlMs } = record;
  const links = relevant(model, record.links);
  const now = Date.now();
  const expiry = ttlMs > 0 ? String(now + ttlMs) : 'inf';
  const indexing = (): Promise<unknown>[] => {
    const steps: Promise<unknown>[] = [];
    const pointer = (key: string) =>
      ttlMs > 0 ? redis.set(key, sid, 'PX', ttlMs) : redis.set(key, sid);
    if (links.uid !== '') steps.push(pointer(sessionUidKey(prefix, links.uid)));
    if (links.userCodeKey !== '') steps.push(pointer(links.userCodeKey));
    if (links.grantId !== '') {
      steps.push(
        redis.latchkeyIndexAdd(
          grantIndexKey(prefix, links.grantId),
          now,
          expiry,
          storedKey(prefix, model, sid),
        ),
      );
    }
    const kind = accountKind(model);
    if (kind && links.accountId !== '') {
      steps.push(
        redis.latchkeyIndexAdd(accountIndexKey(prefix, links.accountId, kind), now, expiry, sid),
      );
    }
    return steps;
  };
  const keys = recordKeys(prefix, model, sid);
  let replaced: Links;
  if (
    !isCluster(redis) &&
    links.grantId !== '' &&
    links.uid === '' &&
    links.userCodeKey === '' &&
    accountKind(model) === undefined &&
    keys.length === 1
  ) {
    // A token on one server: its grant index entry and the token in one step.
    replaced = await redis.latchkeyWriteGrantRecord(
      keys[0] as string,
      grantIndexKey(prefix, links.grantId),
      record.json,
      ttlMs,
      record.jtiIsId ? '1' : '0',
      '',
      now,
      expiry,
      storedKey(prefix, model, sid),
    );
    await dropStale(redis, prefix, model, sid, links, replaced);
    return;
  }
  const write = () =>
    redis.latchkeyWriteRecord(
      keys.length,
      ...keys,
      record.json,
      ttlMs,
      record.jtiIsId ? '1' : '0',
      links.userCodeKey,
    );

  if (isCluster(redis)) {
    // Each index's node has answered before the record is written.
    await Promise.all(indexing());
    replaced = await write();
  } else {
    const indexed = Promise.all(indexing());
    const written = write();
    const [index, result] = await Promise.allSettled([indexed, written]);
    if (index.status === 'rejected') {
      // Never leave a record outside its indexes: take it back out.
      if (result.status === 'fulfilled') await deleteRecord(redis, prefix, model, sid);
      throw index.reason;
    }
    if (result.status === 'rejected') throw result.reason;
    replaced = result.value;
  }
  await dropStale(redis, prefix, model, sid, links, replaced);
}

/**
 * The record replaced one with other links (a session signed in to another account, say): its old
 * entries go now. Rare; the common re-save keeps every link and costs nothing here.
 */
async function dropStale(
  redis: Scripted,
  prefix: string,
  model: string,
  sid: string,
  links: RecordLinks,
  replaced: Links,
): Promise<void> {
  const previous = fromScript(replaced);
  if (!previous) return;
  const old = relevant(model, previous);
  const stale: RecordLinks = {
    grantId: old.grantId !== links.grantId ? old.grantId : '',
    accountId: old.accountId !== links.accountId ? old.accountId : '',
    uid: old.uid !== links.uid ? old.uid : '',
    userCodeKey: old.userCodeKey !== links.userCodeKey ? old.userCodeKey : '',
  };
  const steps = unlink(redis, prefix, model, sid, stale);
  if (steps.length > 0) await Promise.all(steps);
}

/**
 * Deletes a record (with its metadata hash) in one step, then its index entries. Returns the links
 * it had, or undefined when there was no record.
 */
export async function deleteRecord(
  redis: Scripted,
  prefix: string,
  model: string,
  sid: string,
  options: { keepGrantIndex?: boolean } = {},
): Promise<RecordLinks | undefined> {
  const keys = recordKeys(prefix, model, sid);
  const found = fromScript(await redis.latchkeyDeleteRecord(keys.length, ...keys));
  if (!found) return undefined;
  const links = relevant(model, found);
  if (options.keepGrantIndex) links.grantId = '';
  const steps = unlink(redis, prefix, model, sid, links);
  if (steps.length > 0) await Promise.all(steps);
  return found;
}
