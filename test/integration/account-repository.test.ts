// The account lookups every use case shares, against real Postgres.
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import type { DataSource } from 'typeorm';
import { AccountRepository, isUniqueViolation } from '../../src/accounts/account-repository.ts';
import { createDataSource } from '../../src/db/data-source.ts';
import { migrate } from '../../src/db/migrate.ts';
import { dropNamespace, TEST_DATABASE_URL, uniqueNamespace } from '../support/server.ts';

const fields = (email: string | null) => ({
  email,
  emailVerified: false,
  passwordHash: null,
  name: 'Ada',
  picture: null,
});

describe('AccountRepository', () => {
  const namespace = uniqueNamespace('accounts');
  let db: DataSource;
  let accounts: AccountRepository;

  before(async () => {
    db = createDataSource({ databaseUrl: TEST_DATABASE_URL, databaseSchema: namespace });
    await db.initialize();
    await migrate(db, namespace);
    accounts = new AccountRepository(db);
  });
  after(async () => {
    if (db?.isInitialized) await db.destroy();
    await dropNamespace(namespace);
  });

  it('finds an account by its email whatever the case and surrounding spaces', async () => {
    const created = await accounts.insert(fields('Ada.Lovelace@Example.com'));

    expect((await accounts.byEmail('  ada.lovelace@example.COM '))?.id).to.equal(created.id);
    expect(await accounts.byEmail('someone.else@example.com')).to.equal(null);
  });

  it('finds an account by id, and nothing for an unknown or malformed id', async () => {
    const created = await accounts.insert(fields(null));

    expect((await accounts.byId(created.id))?.name).to.equal('Ada');
    expect(await accounts.byId('00000000-0000-4000-8000-000000000000')).to.equal(null);
    expect(await accounts.byId("1' OR '1'='1")).to.equal(null);
    expect(await accounts.byIdForUpdate('not-a-uuid')).to.equal(null);
  });

  it('refuses a second account with the same email in another case, as a unique violation', async () => {
    await accounts.insert(fields('grace@example.com'));

    const error = await accounts.insert(fields('GRACE@example.com')).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isUniqueViolation(error), String(error)).to.equal(true);
  });

  it('keeps a row locked for update until the locking transaction ends', async () => {
    const created = await accounts.insert(fields(null));
    const order: string[] = [];
    let second: Promise<void> | undefined;
    await db.transaction(async (tx) => {
      expect((await new AccountRepository(tx).byIdForUpdate(created.id))?.id).to.equal(created.id);
      second = db.transaction(async (other) => {
        await new AccountRepository(other).byIdForUpdate(created.id);
        order.push('second locked');
      });
      await sleep(200);
      order.push('first ends');
    });
    await second;
    expect(order).to.deep.equal(['first ends', 'second locked']);
  });
});
