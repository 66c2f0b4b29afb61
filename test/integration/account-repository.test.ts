// The account lookups every use case shares, against real Postgres.
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import pg from 'pg';
import type { DataSource } from 'typeorm';
import { AccountRepository, isUniqueViolation } from '../../src/accounts/account-repository.ts';
import { AccountService } from '../../src/accounts/account-service.ts';
import { createDataSource } from '../../src/db/data-source.ts';
import { ensureDatabase, migrate } from '../../src/db/migrate.ts';
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

/** An AccountService for its profile reads, which use nothing but the data source. */
const profilesOf = (dataSource: DataSource) =>
  new AccountService({ dataSource } as unknown as ConstructorParameters<typeof AccountService>[0]);

// DATABASE_READ_URL: a database of its own plays the replica here, holding a different row under
// the same id, so each read shows which server answered it.
describe('AccountRepository with a read replica', () => {
  const namespace = uniqueNamespace('replica');
  const replicaUrl = new URL(TEST_DATABASE_URL);
  replicaUrl.pathname = `/${namespace}`;
  let primary: DataSource;
  let replica: DataSource;
  let replicated: DataSource;

  before(async () => {
    await ensureDatabase(replicaUrl.toString());
    primary = createDataSource({ databaseUrl: TEST_DATABASE_URL, databaseSchema: namespace });
    replica = createDataSource({ databaseUrl: replicaUrl.toString(), databaseSchema: namespace });
    for (const db of [primary, replica]) {
      await db.initialize();
      await migrate(db, namespace);
    }
    replicated = createDataSource({
      databaseUrl: TEST_DATABASE_URL,
      databaseReadUrl: replicaUrl.toString(),
      databaseSchema: namespace,
    });
    await replicated.initialize();
  });
  after(async () => {
    for (const db of [replicated, primary, replica]) if (db?.isInitialized) await db.destroy();
    await dropNamespace(namespace);
    const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(namespace)} WITH (FORCE)`);
    await admin.end();
  });

  it('reads byIdOnReplica from the replica, and everything else from the primary', async () => {
    const written = await new AccountRepository(replicated).insert(fields('ada@example.com'));
    await new AccountRepository(replica).save({ ...written, name: 'Ada, as the replica has it' });
    const accounts = new AccountRepository(replicated);

    expect((await accounts.byIdOnReplica(written.id))?.name).to.equal('Ada, as the replica has it');
    expect((await accounts.byId(written.id))?.name).to.equal('Ada');
    expect((await accounts.byEmail('ada@example.com'))?.name).to.equal('Ada');
    expect((await new AccountRepository(primary).byId(written.id))?.name).to.equal('Ada');
  });

  it('gives claims from the primary for an account the replica lacks, or when the replica fails', async () => {
    const signedUp = await new AccountRepository(replicated).insert(fields('new@example.com'));
    const service = profilesOf(replicated);
    expect((await service.findProfileOnReplica(signedUp.id))?.email).to.equal('new@example.com');

    // A "replica" without Latchkey's tables: every read there fails.
    const broken = new URL(TEST_DATABASE_URL);
    broken.pathname = '/postgres';
    const failing = createDataSource({
      databaseUrl: TEST_DATABASE_URL,
      databaseReadUrl: broken.toString(),
      databaseSchema: namespace,
    });
    await failing.initialize();
    try {
      const error = await new AccountRepository(failing).byIdOnReplica(signedUp.id).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).to.be.instanceOf(Error);
      expect((await profilesOf(failing).findProfileOnReplica(signedUp.id))?.id).to.equal(
        signedUp.id,
      );
    } finally {
      await failing.destroy();
    }
  });

  it('reads byIdOnReplica from the primary when there is no replica', async () => {
    const written = await new AccountRepository(primary).insert(fields('grace@example.com'));
    expect((await new AccountRepository(primary).byIdOnReplica(written.id))?.id).to.equal(
      written.id,
    );
    expect(await new AccountRepository(primary).byIdOnReplica('not-a-uuid')).to.equal(null);
  });
});
