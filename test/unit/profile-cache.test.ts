// ProfileCache: profiles reused for a short while, dropped at once when the account changes.
import { expect } from 'chai';
import type { Profile } from '../../src/accounts/account.ts';
import {
  FRESH_READ_MS,
  ProfileCache,
  type ProfileChangeChannel,
} from '../../src/accounts/profile-cache.ts';

const ID = '6f1c2a4e-8b7d-4c3e-9a1f-2b3c4d5e6f70';
const profile = (name: string): Profile => ({
  id: ID,
  email: 'ada@example.com',
  emailVerified: true,
  name,
  picture: null,
  updatedAt: new Date(0),
  mfaRequired: false,
});

/** A loader that counts its reads and answers what `current` says when it is released. */
function database(initial: string) {
  let current = initial;
  const db = {
    reads: 0,
    set: (name: string) => {
      current = name;
    },
    load: async (_id: string) => {
      db.reads += 1;
      return profile(current);
    },
  };
  return db;
}

/** A channel whose notices are delivered by hand, like Redis between two instances. */
function channel() {
  const published: string[] = [];
  const listeners: { onChange: (id: string) => void; onGap: () => void }[] = [];
  const c: ProfileChangeChannel & { published: string[]; deliver(id: string): void; gap(): void } =
    {
      published,
      async publish(id) {
        published.push(id);
      },
      subscribe(onChange, onGap) {
        listeners.push({ onChange, onGap });
      },
      deliver: (id) => {
        for (const l of listeners) l.onChange(id);
      },
      gap: () => {
        for (const l of listeners) l.onGap();
      },
    };
  return c;
}

describe('ProfileCache', () => {
  it('reads an account once while its entry is fresh, and again once it is not', async () => {
    let now = 1_000;
    const db = database('Ada');
    const cache = new ProfileCache({ ttlSeconds: 30, now: () => now });
    expect((await cache.get(ID, db.load))?.name).to.equal('Ada');
    db.set('Ada L.');
    expect((await cache.get(ID, db.load))?.name).to.equal('Ada');
    expect(db.reads).to.equal(1);
    now += 30_001;
    expect((await cache.get(ID, db.load))?.name).to.equal('Ada L.');
    expect(db.reads).to.equal(2);
  });

  it('reads the database once for many lookups of one account at the same moment', async () => {
    const db = database('Ada');
    const cache = new ProfileCache({ ttlSeconds: 30 });
    const all = await Promise.all(Array.from({ length: 10 }, () => cache.get(ID, db.load)));
    expect(all.map((p) => p?.name)).to.deep.equal(Array(10).fill('Ada'));
    expect(db.reads).to.equal(1);
  });

  it('drops an account when it changes here, and tells the other instances', async () => {
    const db = database('Ada');
    const c = channel();
    const cache = new ProfileCache({ ttlSeconds: 30, channel: c });
    await cache.get(ID, db.load);
    db.set('Ada L.');
    cache.changed(ID);
    expect(c.published).to.deep.equal([ID]);
    expect((await cache.get(ID, db.load))?.name).to.equal('Ada L.');
  });

  it('drops an account another instance changed', async () => {
    const db = database('Ada');
    const c = channel();
    const cache = new ProfileCache({ ttlSeconds: 30, channel: c });
    await cache.get(ID, db.load);
    db.set('Ada L.');
    c.deliver(ID);
    expect((await cache.get(ID, db.load))?.name).to.equal('Ada L.');
  });

  it('does not keep what was read while the account was changing', async () => {
    let release: (p: Profile) => void = () => {};
    const slow = () => new Promise<Profile>((resolve) => (release = resolve));
    const db = database('Ada L.');
    const cache = new ProfileCache({ ttlSeconds: 30 });
    const before = cache.get(ID, slow);
    cache.changed(ID);
    release(profile('Ada'));
    expect((await before)?.name).to.equal('Ada');
    expect((await cache.get(ID, db.load))?.name).to.equal('Ada L.');
    expect(db.reads).to.equal(1);
  });

  it('asks for a fresh read (the primary, not a replica) for FRESH_READ_MS after a change, here or elsewhere', async () => {
    let now = 1_000;
    const asked: [string, boolean][] = [];
    const load = async (id: string, fresh: boolean) => {
      asked.push([id, fresh]);
      return profile('Ada');
    };
    const OTHER = '00000000-0000-4000-8000-000000000001';
    const c = channel();
    const cache = new ProfileCache({ ttlSeconds: 0, channel: c, now: () => now });
    await cache.get(ID, load);
    cache.changed(ID);
    await cache.get(ID, load);
    c.deliver(OTHER);
    await cache.get(OTHER, load);
    now += FRESH_READ_MS - 1;
    await cache.get(OTHER, load);
    now += 1;
    await cache.get(ID, load);
    now += 1_000_000;
    await cache.get(OTHER, load);
    c.gap();
    await cache.get(ID, load);
    expect(asked).to.deep.equal([
      [ID, false],
      [ID, true],
      [OTHER, true],
      [OTHER, true],
      [ID, false],
      [OTHER, false],
      [ID, true],
    ]);
  });

  it('forgets everything when change notices may have been lost', async () => {
    const db = database('Ada');
    const c = channel();
    const cache = new ProfileCache({ ttlSeconds: 30, channel: c });
    await cache.get(ID, db.load);
    c.gap();
    await cache.get(ID, db.load);
    expect(db.reads).to.equal(2);
  });

  it('keeps no unknown account, no failed read, and nothing at all with a lifetime of 0', async () => {
    let reads = 0;
    const missing = async () => {
      reads += 1;
      return undefined;
    };
    const cache = new ProfileCache({ ttlSeconds: 30 });
    await cache.get(ID, missing);
    await cache.get(ID, missing);
    expect(reads).to.equal(2);
    const failing = async (): Promise<Profile> => {
      throw new Error('postgres is down');
    };
    await cache.get(ID, failing).catch(() => {});
    const db = database('Ada');
    expect((await cache.get(ID, db.load))?.name).to.equal('Ada');
    const off = new ProfileCache({ ttlSeconds: 0 });
    await off.get(ID, db.load);
    await off.get(ID, db.load);
    expect(db.reads).to.equal(3);
  });

  it('holds at most maxEntries accounts, dropping the oldest', async () => {
    const cache = new ProfileCache({ ttlSeconds: 30, maxEntries: 2 });
    let reads = 0;
    const load = async (id: string) => {
      reads += 1;
      return { ...profile('x'), id };
    };
    for (const id of ['a', 'b', 'c']) await cache.get(id, load);
    await cache.get('c', load);
    await cache.get('b', load);
    expect(reads).to.equal(3);
    await cache.get('a', load);
    expect(reads).to.equal(4);
  });
});
