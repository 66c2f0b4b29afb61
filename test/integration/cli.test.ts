// The admin CLI run as operators run it: a child process against real Postgres, in its own schema.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import bcrypt from 'bcrypt';
import { expect } from 'chai';
import pg from 'pg';
import { DEVICE_CLIENTS } from '../support/device.ts';
import { runCli } from '../support/process.ts';
import {
  dropNamespace,
  TEST_CLIENTS,
  TEST_DATABASE_URL,
  TEST_REDIS_URL,
  uniqueNamespace,
} from '../support/server.ts';

/** A machine client that must bind its tokens with DPoP. */
const WORKER = {
  client_id: 'invoice-worker',
  client_secret: 'invoice-worker-secret-0123456789abcdef',
  machine: true,
  dpop_bound_access_tokens: true,
  resources: { 'https://invoices.example.com': ['invoices:read'] },
};

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;
const STACK_FRAME = /^\s+at /m;

describe('admin CLI', function () {
  // Every step starts a Node process; a busy machine can make a test of several steps slow.
  this.timeout(90_000);
  const namespace = uniqueNamespace('cli');
  let dir: string;
  let clientsFile: string;
  let serversFile: string;
  let db: pg.Client;

  const run = (
    args: string[],
    options: { input?: string; env?: Record<string, string | undefined> } = {},
  ) =>
    runCli(args, {
      input: options.input,
      env: {
        DATABASE_URL: TEST_DATABASE_URL,
        DATABASE_SCHEMA: namespace,
        REDIS_URL: TEST_REDIS_URL,
        BCRYPT_COST: '4',
        CLIENTS_FILE: clientsFile,
        RESOURCE_SERVERS_FILE: serversFile,
        ...options.env,
      },
    });

  async function accountByEmail(email: string) {
    const { rows } = await db.query(
      `SELECT id, email, email_verified, name, password_hash FROM ${pg.escapeIdentifier(namespace)}.accounts WHERE lower(email) = lower($1)`,
      [email],
    );
    return rows[0] as
      | {
          id: string;
          email: string;
          email_verified: boolean;
          name: string;
          password_hash: string | null;
        }
      | undefined;
  }

  async function signingKeys() {
    const { rows } = await db.query(
      `SELECT kid, alg, status, private_jwk->>'d' AS d FROM ${pg.escapeIdentifier(namespace)}.signing_keys ORDER BY alg`,
    );
    return rows as { kid: string; alg: string; status: string; d: string }[];
  }

  async function createAccount(email: string, password: string, extra: string[] = []) {
    const result = await run(
      ['accounts:create', '--email', email, '--name', 'Test Person', '--password-stdin', ...extra],
      { input: `${password}\n` },
    );
    expect(result.status, result.stderr).to.equal(0);
    return result;
  }

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'latchkey-cli-'));
    clientsFile = path.join(dir, 'clients.json');
    // The API the machine client may call.
    serversFile = path.join(dir, 'invoices-api.json');
    await writeFile(
      serversFile,
      JSON.stringify([
        {
          audience: 'https://invoices.example.com',
          format: 'opaque',
          scopes: { 'invoices:read': 'See invoices' },
        },
      ]),
    );
    await writeFile(
      clientsFile,
      JSON.stringify([...Object.values(TEST_CLIENTS), DEVICE_CLIENTS.tv, WORKER]),
    );
    db = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await db.connect();
  });

  after(async () => {
    await db?.end();
    await dropNamespace(namespace);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('prints a usage line for every command with help, --help or no command', async () => {
    for (const args of [['help'], ['--help'], [], ['keys:list', '--help']]) {
      const result = await run(args);
      expect(result.status).to.equal(0);
      for (const command of [
        'migrate',
        'accounts:create --email E --name N [--verified] [--password-stdin | --no-password]',
        'accounts:set-password --email E [--password-stdin] [--keep-sessions]',
        'clients:list',
        'resources:list',
        'keys:list',
        'keys:stage',
        'keys:rotate',
        'keys:prune [--older-than-days N]',
        'keys:rewrap',
        'audit [--account ID|EMAIL] [--type T[,T]] [--since WHEN] [--limit N] [--json]',
        'audit:prune [--older-than-days N]',
      ]) {
        expect(result.stdout).to.include(`\n  ${command}\n      `);
      }
    }
  });

  it('refuses to work on a schema that has not been migrated', async () => {
    const result = await run(['keys:list']);
    expect(result.status).to.equal(1);
    expect(result.stderr).to.include('run the migrate command first');
    expect(result.stderr).not.to.match(STACK_FRAME);
  });

  it('migrate applies the migrations once, then has nothing to apply', async () => {
    const first = await run(['migrate']);
    expect(first.status, first.stderr).to.equal(0);
    expect(first.stdout).to.include('InitialSchema1763769600000');
    expect(first.stdout).to.include(namespace);
    const { rows } = await db.query('SELECT to_regclass($1) IS NOT NULL AS present', [
      `${namespace}.accounts`,
    ]);
    expect(rows[0].present).to.equal(true);

    const second = await run(['migrate']);
    expect(second.status, second.stderr).to.equal(0);
    expect(second.stdout).to.include('up to date');
    expect(second.stdout).not.to.include('InitialSchema1763769600000');
  });

  it('accounts:create reads the password from stdin and prints the new id', async () => {
    const password = 'correct horse battery staple';
    const result = await createAccount('Alice@Example.com', password, ['--verified']);
    const id = UUID.exec(result.stdout)?.[0];
    expect(id, result.stdout).to.be.a('string');
    expect(result.stdout).to.include('(OIDC sub)');
    expect(result.stdout).not.to.include(password);

    const stored = await accountByEmail('alice@example.com');
    expect(stored?.id).to.equal(id);
    expect(stored?.email).to.equal('Alice@Example.com');
    expect(stored?.email_verified).to.equal(true);
    expect(stored?.name).to.equal('Test Person');
    expect(await bcrypt.compare(password, stored?.password_hash ?? '')).to.equal(true);
  });

  it('takes only the first line of stdin as the password', async () => {
    await createAccount('first-line@example.com', 'the first line\r\nthe second line');
    const stored = await accountByEmail('first-line@example.com');
    expect(await bcrypt.compare('the first line', stored?.password_hash ?? '')).to.equal(true);
    expect((await accountByEmail('first-line@example.com'))?.email_verified).to.equal(false);
  });

  it('refuses an email that already has an account, whatever its case', async () => {
    const result = await run(
      ['accounts:create', '--email', 'ALICE@example.com', '--name', 'Other', '--password-stdin'],
      { input: 'another long password\n' },
    );
    expect(result.status).to.equal(1);
    expect(result.stderr.trim()).to.equal(
      'error: An account with the email ALICE@example.com already exists.',
    );
    expect(result.stdout).to.equal('');
  });

  it('applies the password rules and says which one failed', async () => {
    const result = await run(
      ['accounts:create', '--email', 'short@example.com', '--name', 'Short', '--password-stdin'],
      { input: 'short\n' },
    );
    expect(result.status).to.equal(1);
    expect(result.stderr).to.include('Invalid password: Use at least 8 characters.');
    expect(result.stderr).not.to.match(STACK_FRAME);
    expect(await accountByEmail('short@example.com')).to.equal(undefined);
  });

  it('refuses a password given on the command line, without echoing it', async () => {
    for (const flags of [['--password', 'argv-password-123'], ['--password=argv-password-123']]) {
      const result = await run([
        'accounts:create',
        '--email',
        'argv@example.com',
        '--name',
        'Argv',
        ...flags,
      ]);
      expect(result.status).to.equal(2);
      expect(result.stderr).to.include('--password is refused');
      expect(result.stderr).to.include('shell history');
      expect(result.stderr).to.include('--password-stdin');
      expect(result.stderr + result.stdout).not.to.include('argv-password-123');
    }
    const setPassword = await run([
      'accounts:set-password',
      '--email',
      'alice@example.com',
      '--password=argv-password-123',
    ]);
    expect(setPassword.status).to.equal(2);
    expect(await accountByEmail('argv@example.com')).to.equal(undefined);
  });

  it('asks sessions:revoke for exactly one of --session and --all, and names an unknown email', async () => {
    for (const flags of [[], ['--session', 's.x', '--all']]) {
      const result = await run(['sessions:revoke', '--email', 'who@example.com', ...flags]);
      expect(result.status).to.equal(2);
      expect(result.stderr).to.include('Give either --session ID or --all.');
    }
    const unknown = await run(['sessions:list', '--email', 'nobody-here@example.com'], {
      env: { REDIS_KEY_PREFIX: `${namespace}:` },
    });
    expect(unknown.status, unknown.stderr).to.equal(1);
    expect(unknown.stderr).to.include('No account has the email nobody-here@example.com.');
    expect(unknown.stderr).not.to.match(STACK_FRAME);
  });

  it('asks for a password source when stdin is not a terminal, or creates none with --no-password', async () => {
    const unsure = await run(['accounts:create', '--email', 'np@example.com', '--name', 'NP']);
    expect(unsure.status).to.equal(2);
    expect(unsure.stderr).to.include('--password-stdin');
    expect(await accountByEmail('np@example.com')).to.equal(undefined);

    const both = await run([
      'accounts:create',
      '--email',
      'np@example.com',
      '--name',
      'NP',
      '--password-stdin',
      '--no-password',
    ]);
    expect(both.status).to.equal(2);

    const created = await run([
      'accounts:create',
      '--email',
      'np@example.com',
      '--name',
      'NP',
      '--no-password',
    ]);
    expect(created.status, created.stderr).to.equal(0);
    expect((await accountByEmail('np@example.com'))?.password_hash).to.equal(null);
  });

  it('accounts:set-password replaces the password of the account with that email', async () => {
    const before = await accountByEmail('alice@example.com');
    const result = await run(
      [
        'accounts:set-password',
        '--email',
        'alice@EXAMPLE.com',
        '--password-stdin',
        '--keep-sessions',
      ],
      { input: 'a brand new passphrase\n' },
    );
    expect(result.status, result.stderr).to.equal(0);
    expect(result.stdout).to.include(before?.id);
    const after = await accountByEmail('alice@example.com');
    expect(await bcrypt.compare('a brand new passphrase', after?.password_hash ?? '')).to.equal(
      true,
    );

    const tooShort = await run(
      [
        'accounts:set-password',
        '--email',
        'alice@example.com',
        '--password-stdin',
        '--keep-sessions',
      ],
      { input: 'tiny\n' },
    );
    expect(tooShort.status).to.equal(1);
    expect(tooShort.stderr).to.include('Use at least 8 characters.');
    expect((await accountByEmail('alice@example.com'))?.password_hash).to.equal(
      after?.password_hash,
    );

    const unknown = await run(
      [
        'accounts:set-password',
        '--email',
        'nobody@example.com',
        '--password-stdin',
        '--keep-sessions',
      ],
      { input: 'whatever it may be\n' },
    );
    expect(unknown.status).to.equal(1);
    expect(unknown.stderr.trim()).to.equal('error: No account has the email nobody@example.com.');
  });

  it('clients:list shows every client without its secret', async () => {
    const result = await run(['clients:list']);
    expect(result.status, result.stderr).to.equal(0);
    const blocks = result.stdout.split('\n\n');
    const blockOf = (id: string) => blocks.find((b) => b.startsWith(`${id}\n`)) ?? '';

    const firstParty = blockOf(TEST_CLIENTS.firstParty.client_id);
    expect(firstParty).to.include(TEST_CLIENTS.firstParty.client_name);
    expect(firstParty).to.match(/type:\s+confidential/);
    expect(firstParty).to.match(/first party:\s+yes/);
    expect(firstParty).to.include(TEST_CLIENTS.firstParty.redirect_uris[0]);

    const thirdParty = blockOf(TEST_CLIENTS.thirdParty.client_id);
    expect(thirdParty).to.match(/type:\s+confidential/);
    expect(thirdParty).to.match(/first party:\s+no/);
    expect(thirdParty).to.include(TEST_CLIENTS.thirdParty.redirect_uris[0]);

    const spa = blockOf(TEST_CLIENTS.publicSpa.client_id);
    expect(spa).to.match(/type:\s+public/);
    expect(spa).to.include(TEST_CLIENTS.publicSpa.redirect_uris[0]);

    const tv = blockOf(DEVICE_CLIENTS.tv.client_id);
    expect(tv).to.match(/type:\s+public/);
    expect(tv).to.match(/sign-in:\s+device flow/);

    const worker = blockOf(WORKER.client_id);
    expect(worker).to.match(/type:\s+confidential \(client_secret_basic\)/);
    expect(worker).to.match(
      /machine:\s+client_credentials for https:\/\/invoices\.example\.com \(invoices:read\)/,
    );
    expect(worker).to.match(/DPoP:\s+required/);
    expect(result.stdout).not.to.include(WORKER.client_secret);

    expect(result.stdout).not.to.include(TEST_CLIENTS.firstParty.client_secret);
    expect(result.stdout).not.to.include(TEST_CLIENTS.thirdParty.client_secret);

    const none = await run(['clients:list'], { env: { CLIENTS_FILE: undefined } });
    expect(none.status).to.equal(0);
    expect(none.stdout).to.include('CLIENTS_FILE is not set');
  });

  it('resources:list shows each API, its scopes and the clients allowed them', async () => {
    const orders = 'https://orders.example.com';
    const ordersFile = path.join(dir, 'resource-servers.json');
    await writeFile(
      ordersFile,
      JSON.stringify([
        {
          audience: orders,
          name: 'Orders',
          format: 'jwt',
          access_token_ttl: 300,
          scopes: { 'orders:read': 'See your orders', 'orders:write': 'Place orders' },
        },
      ]),
    );
    const withResources = path.join(dir, 'clients-with-resources.json');
    await writeFile(
      withResources,
      JSON.stringify([
        { ...TEST_CLIENTS.thirdParty, resources: { [orders]: ['orders:read'] } },
        TEST_CLIENTS.firstParty,
      ]),
    );
    const env = { RESOURCE_SERVERS_FILE: ordersFile, CLIENTS_FILE: withResources };
    const result = await run(['resources:list'], { env });
    expect(result.status, result.stderr).to.equal(0);
    const blocks = result.stdout.split('\n\n');
    const api = blocks.find((b) => b.startsWith('http://localhost:3000/api\n')) ?? '';
    expect(api).to.match(/tokens:\s+opaque, checked by introspection; 900 s/);
    expect(api).to.match(/who:\s+first-party applications only/);
    expect(api).to.match(/clients:\s+first-party-app \(profile email\)/);
    const block = blocks.find((b) => b.startsWith(`${orders}\n`)) ?? '';
    expect(block).to.match(/name:\s+Orders/);
    expect(block).to.match(/tokens:\s+JWT \(RFC 9068\), checked with the JWKS; 300 s/);
    expect(block).to.match(/orders:read\s+See your orders/);
    expect(block).to.match(/orders:write\s+Place orders/);
    expect(block).to.match(/clients:\s+third-party-app \(orders:read\)$/m);

    await writeFile(
      withResources,
      JSON.stringify([{ ...TEST_CLIENTS.thirdParty, resources: { [orders]: ['orders:refund'] } }]),
    );
    const bad = await run(['resources:list'], { env });
    expect(bad.status).to.equal(78);
    expect(bad.stderr).to.include(
      `client "third-party-app": ${orders} has no scope "orders:refund"`,
    );

    const none = await run(['resources:list'], {
      env: { RESOURCE_SERVERS_FILE: undefined, CLIENTS_FILE: undefined },
    });
    expect(none.status, none.stderr).to.equal(0);
    expect(none.stdout).to.include("RESOURCE_SERVERS_FILE is not set: only Latchkey's own API.");
  });

  it('keys: list, stage, rotate and prune move keys through next, active and retired', async () => {
    const empty = await run(['keys:list']);
    expect(empty.status, empty.stderr).to.equal(0);
    expect(empty.stdout).to.include('No signing keys');

    const first = await run(['keys:rotate']);
    expect(first.status, first.stderr).to.equal(0);
    const initial = await signingKeys();
    expect(initial.map((k) => [k.alg, k.status])).to.deep.equal([
      ['ES256', 'active'],
      ['RS256', 'active'],
    ]);

    const stage = await run(['keys:stage']);
    expect(stage.status, stage.stderr).to.equal(0);
    expect(stage.stderr).to.include('KEY_ENCRYPTION_KEYS is not set');
    expect(stage.stdout).to.include('rolling restart');
    expect(stage.stdout).to.include('keys:prune');
    const staged = (await signingKeys()).filter((k) => k.status === 'next');
    expect(staged.map((k) => k.alg).sort()).to.deep.equal(['ES256', 'RS256']);

    const list = await run(['keys:list']);
    expect(list.status, list.stderr).to.equal(0);
    for (const key of await signingKeys()) {
      const row = list.stdout.split('\n').find((line) => line.startsWith(key.kid)) ?? '';
      expect(row).to.include(key.alg);
      expect(row).to.include(key.status);
      // Without KEY_ENCRYPTION_KEYS (development) the keys are stored, and listed, as plain text.
      expect(row).to.include('plain text');
      expect(list.stdout).not.to.include(key.d);
    }
    expect(list.stdout).not.to.include('"d"');

    const rotate = await run(['keys:rotate']);
    expect(rotate.status, rotate.stderr).to.equal(0);
    expect(rotate.stdout).to.include('rolling restart');
    expect(rotate.stdout).to.include('keys:prune');
    const rotated = await signingKeys();
    for (const old of initial) {
      expect(rotated.find((k) => k.kid === old.kid)?.status).to.equal('retired');
      expect(rotate.stdout).to.include(old.kid);
    }
    for (const next of staged) {
      expect(rotated.find((k) => k.kid === next.kid)?.status).to.equal('active');
    }
    for (const key of rotated) expect(rotate.stdout).not.to.include(key.d);

    const keep = await run(['keys:prune']);
    expect(keep.status, keep.stderr).to.equal(0);
    expect(keep.stdout).to.include('nothing removed');
    expect(await signingKeys()).to.have.length(4);

    const prune = await run(['keys:prune', '--older-than-days', '0']);
    expect(prune.status, prune.stderr).to.equal(0);
    for (const old of initial) expect(prune.stdout).to.include(old.kid);
    const remaining = await signingKeys();
    expect(remaining.map((k) => k.status)).to.deep.equal(['active', 'active']);
    expect(remaining.map((k) => k.kid).sort()).to.deep.equal(staged.map((k) => k.kid).sort());
  });

  it('audit shows what operators did, by account or type, as a table or JSON lines', async () => {
    const alice = await accountByEmail('alice@example.com');
    const revoke = await run(['sessions:revoke', '--email', 'alice@example.com', '--all'], {
      env: { REDIS_KEY_PREFIX: `${namespace}:` },
    });
    expect(revoke.status, revoke.stderr).to.equal(0);

    const listed = await run(['audit', '--account', 'Alice@example.com']);
    expect(listed.status, listed.stderr).to.equal(0);
    const [header, ...lines] = listed.stdout.trim().split('\n');
    expect(header).to.match(
      /^TIME +TYPE +OUTCOME +ACTOR +ACCOUNT +CLIENT +ADDRESS +DEVICE +DETAILS$/,
    );
    // Newest first: the sign-out, then the password set, then the account made.
    expect(lines.map((line) => line.split(/ +/)[1])).to.deep.equal([
      'sessions.revoked',
      'admin.password_set',
      'admin.account_created',
    ]);
    for (const line of lines) expect(line).to.include(` operator `).and.include(alice?.id);
    for (const detail of ['scope=all', 'via=cli', 'sessions=0', 'grants=0']) {
      expect(lines[0]).to.include(` ${detail}`);
    }

    const json = await run(['audit', '--account', alice?.id ?? '', '--json', '--limit', '2']);
    expect(json.status, json.stderr).to.equal(0);
    const events = json.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(events.map((e) => e.type)).to.deep.equal(['sessions.revoked', 'admin.password_set']);
    expect(events[1]).to.deep.include({
      outcome: 'success',
      actor: 'operator',
      account_id: alice?.id,
    });
    expect(events[1].details).to.deep.include({
      keep_sessions: true,
      operator: userInfo().username,
    });
    expect(json.stdout).not.to.include('a brand new passphrase');

    const keys = await run(['audit', '--type', 'admin.keys_staged,admin.keys_rotated', '--json']);
    const keyEvents = keys.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(keyEvents.map((e) => e.type)).to.include.members([
      'admin.keys_staged',
      'admin.keys_rotated',
    ]);
    for (const e of keyEvents) expect(e.account_id).to.equal(null);
    const admin = await run(['audit', '--type', 'admin.*', '--since', '1h']);
    expect(admin.stdout).to.include('admin.keys_pruned').and.include('admin.account_created');
    expect(admin.stdout).not.to.include('sessions.revoked');
    const future = await run(['audit', '--since', '2999-01-01']);
    expect(future.stdout.trim()).to.equal('No events.');

    for (const [args, message] of [
      [['--type', 'sign_out'], 'Unknown event type "sign_out". Known types: sign_in,'],
      [['--since', 'yesterday'], '--since must be a date'],
      [['--limit', '0'], '--limit must be a whole number from 1 to 10000'],
    ] as const) {
      const refused = await run(['audit', ...args]);
      expect(refused.status, args.join(' ')).to.equal(2);
      expect(refused.stderr).to.include(message);
    }
    const nobody = await run(['audit', '--account', 'nobody@example.com']);
    expect(nobody.status).to.equal(1);
    expect(nobody.stderr.trim()).to.equal('error: No account has the email nobody@example.com.');
  });

  it('audit:prune deletes only the events older than the retention, and says so in the trail', async () => {
    const table = `${pg.escapeIdentifier(namespace)}.audit_events`;
    await db.query(
      `INSERT INTO ${table} (occurred_at, type, outcome, actor)
       VALUES (now() - interval '31 days', 'admin.keys_rotated', 'success', 'operator'),
              (now() - interval '29 days', 'admin.keys_rotated', 'success', 'operator')`,
    );
    const count = async () =>
      Number((await db.query(`SELECT count(*) FROM ${table}`)).rows[0].count);
    const before = await count();
    const pruned = await run(['audit:prune'], { env: { AUDIT_RETENTION_DAYS: '30' } });
    expect(pruned.status, pruned.stderr).to.equal(0);
    expect(pruned.stdout).to.match(/^Deleted 1 event\(s\) older than 30 day\(s\) \(before \d{4}-/);
    // One gone, and the prune itself recorded.
    expect(await count()).to.equal(before);
    const { rows } = await db.query(
      `SELECT details FROM ${table} WHERE type = 'admin.audit_pruned'`,
    );
    expect(rows.map((r) => r.details)).to.deep.equal([
      { older_than_days: 30, deleted: 1, operator: userInfo().username },
    ]);
    const bad = await run(['audit:prune', '--older-than-days', '0']);
    expect(bad.status).to.equal(2);
  });

  it('exits 2 with the usage on stderr for an unknown command or a bad option', async () => {
    for (const args of [
      ['keys:shred'],
      ['keys:shred', '--help'],
      ['keys:list', '--verbose'],
      ['keys:list', 'extra'],
      ['keys:prune', '--older-than-days', 'soon'],
      ['accounts:create', '--email', 'x@example.com'],
    ]) {
      const result = await run(args);
      expect(result.status, args.join(' ')).to.equal(2);
      expect(result.stderr).to.include('Usage: npm run cli -- <command>');
      expect(result.stderr).not.to.match(STACK_FRAME);
      expect(result.stdout).to.equal('');
    }
  });

  it('exits 78 and lists the problems when the configuration is invalid', async () => {
    const result = await run(['keys:list'], { env: { BCRYPT_COST: '99', DATABASE_SCHEMA: 'No!' } });
    expect(result.status).to.equal(78);
    expect(result.stderr).to.include('BCRYPT_COST must be an integer from 4 to 16 (got "99")');
    expect(result.stderr).to.include('DATABASE_SCHEMA must be a lowercase SQL identifier');
    expect(result.stderr).not.to.match(STACK_FRAME);
  });
});
