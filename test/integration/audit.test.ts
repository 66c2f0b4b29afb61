// The audit trail: real flows leave the rows they should, with where they came from and nothing
// secret; bursts all land; old rows go; each person sees only their own on the account page.
import { expect } from 'chai';
import pg from 'pg';
import { AuditStore } from '../../src/audit/audit-store.ts';
import { AuditWriter, BATCH_SIZE } from '../../src/audit/audit-writer.ts';
import { formByAction } from '../support/browser.ts';
import { capturingLogger } from '../support/captured-logs.ts';
import {
  atSignInPage,
  callbackOf,
  exchangeCode,
  OFFLINE,
  person,
  signUpAndAuthorize,
  signUpOnAccountPage,
} from '../support/oidc.ts';
import {
  accountFor,
  dropNamespace,
  startTestServer,
  TEST_CLIENTS,
  useServer,
} from '../support/server.ts';
import { refresh } from '../support/tokens.ts';

interface Row {
  id: string;
  type: string;
  outcome: string;
  actor: string;
  account_id: string | null;
  client_id: string | null;
  source_address: string | null;
  user_agent: string | null;
  request_id: string | null;
  details: Record<string, unknown>;
}

const UA = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';
const client = TEST_CLIENTS.firstParty;

describe('the audit trail', function () {
  this.timeout(60_000);
  const server = useServer({
    env: { REFRESH_REUSE_GRACE_SECONDS: '0' },
    throttleLimits: {
      perAccount: 1000,
      perSource: 1000,
      signUpsPerSource: 1000,
      windowSeconds: 60,
    },
  });

  /** Every row so far matching `where`, after the writer has written what it holds. */
  async function rows(where: string, params: unknown[] = []): Promise<Row[]> {
    await server.latchkey.audit.writer.flush();
    return server.resources.db.query(
      `SELECT id::text, type, outcome, actor, account_id, client_id, source_address, user_agent,
              request_id, details
         FROM audit_events WHERE ${where} ORDER BY audit_events.id`,
      params,
    );
  }

  async function signInForm(who: { email: string }, password: string) {
    const start = await atSignInPage(server.issuer, client, {}, { userAgent: UA });
    const form = formByAction(start.login, '/login');
    const res = await start.browser.post(form.action, {
      ...form.fields,
      email: who.email,
      password,
    });
    return { ...start, res };
  }

  /** Signs `who` in on a second browser, all the way back to the app: a session of its own. */
  async function secondBrowser(who: { email: string; password: string }) {
    const { res, browser } = await signInForm(who, who.password);
    expect(callbackOf(await browser.follow(res)).searchParams.has('code')).to.equal(true);
  }

  it('records a wrong password, an unknown address and a sign-in, with where each came from', async () => {
    const who = await accountFor(server, 'audited');
    const wrong = await signInForm(who, 'not the password at all');
    expect(wrong.res.status).to.equal(401);
    const nobody = person('nobody');
    const unknown = await signInForm(nobody, 'not the password at all');
    expect(unknown.res.status).to.equal(401);
    const right = await signInForm(who, who.password);
    expect(right.res.status).to.equal(303);
    await exchangeCode(right.rp, callbackOf(await right.browser.follow(right.res)), right.auth);

    const mine = await rows('account_id = $1', [who.id]);
    expect(mine.map((r) => [r.type, r.outcome, r.details.method])).to.deep.equal([
      ['sign_in', 'failure', 'password'],
      ['sign_in', 'success', 'password'],
    ]);
    const [failed, signedIn] = mine as [Row, Row];
    expect(failed.details.reason).to.equal('invalid_credentials');
    expect(signedIn.details.amr).to.deep.equal(['pwd']);
    for (const [row, res] of [
      [failed, wrong.res],
      [signedIn, right.res],
    ] as const) {
      expect(row.actor).to.equal('account');
      expect(row.client_id).to.equal(client.client_id);
      expect(row.source_address).to.match(/127\.0\.0\.1$/);
      expect(row.user_agent).to.equal(UA);
      expect(row.request_id).to.equal(res.headers['x-request-id']);
    }

    // The address typed for no account is kept only as a keyed hash, the same for the same address.
    const again = await signInForm({ email: nobody.email.toUpperCase() }, 'still not it');
    expect(again.res.status).to.equal(401);
    const strangers = await rows(
      "type = 'sign_in' AND account_id IS NULL AND request_id = ANY($1::text[])",
      [[unknown.res.headers['x-request-id'], again.res.headers['x-request-id']]],
    );
    expect(strangers).to.have.length(2);
    const [first, second] = strangers as [Row, Row];
    expect(first.details.address_hash).to.match(/^[0-9a-f]{32}$/);
    expect(second.details.address_hash).to.equal(first.details.address_hash);
    const everything = JSON.stringify(await rows('true'));
    expect(everything).not.to.include(nobody.email.split('@')[0]);
  });

  it('records a refused and an accepted password change and the other devices signed out, and no secret', async () => {
    const { browser, who, page } = await signUpOnAccountPage(server.issuer, 'changer', {
      userAgent: UA,
    });
    // A second browser of the same person, signed out by the change.
    await secondBrowser(who);
    const wrong = await browser.submit(page, '/account/password', {
      current_password: 'not my password',
      new_password: 'a brand new passphrase',
    });
    expect(wrong.status).to.equal(401);
    const changed = await browser.submit(wrong.data, '/account/password', {
      current_password: who.password,
      new_password: 'a brand new passphrase',
    });
    expect(changed.status).to.equal(200);
    const [account] = await server.resources.db.query('SELECT id FROM accounts WHERE email = $1', [
      who.email,
    ]);
    const mine = await rows('account_id = $1', [account.id]);
    expect(mine.map((r) => `${r.type}:${r.outcome}`)).to.deep.equal([
      'sign_up:success',
      'email.confirmed:success',
      'sign_in:success',
      'sign_in:success',
      'password.changed:failure',
      'password.changed:success',
      'sessions.revoked:success',
    ]);
    const revoked = mine.at(-1) as Row;
    expect(revoked.details).to.include({ scope: 'others', via: 'password_change', sessions: 1 });

    // Passwords typed, right or wrong, are nowhere in the trail.
    const everything = JSON.stringify(await rows('true'));
    for (const secret of [who.password, 'not my password', 'a brand new passphrase']) {
      expect(everything).not.to.include(secret);
    }
    // The page lists them, newest first, with the device and address.
    const shown = await browser.get('/account');
    const section = shown.data.slice(shown.data.indexOf('id="activity"'));
    expect(section).to.include('Every other device was signed out');
    expect(section).to.include('Password not changed: the current password was wrong');
    expect(section).to.include('Signed in with your password');
    expect(section).to.include('From Firefox · Linux');
    expect(section.indexOf('Password changed')).to.be.lessThan(
      section.indexOf('Password not changed'),
    );
  });

  it('records signing a device out from the account page', async () => {
    const { browser, who } = await signUpOnAccountPage(server.issuer, 'devices');
    await secondBrowser(who);
    const page = (await browser.get('/account')).data;
    const out = await browser.submit(page, '/account/devices/others/sign-out');
    expect(out.status).to.equal(200);
    const [account] = await server.resources.db.query('SELECT id FROM accounts WHERE email = $1', [
      who.email,
    ]);
    const revoked = await rows("account_id = $1 AND type = 'sessions.revoked'", [account.id]);
    expect(revoked.map((r) => r.details)).to.deep.equal([
      { scope: 'others', via: 'account_page', sessions: 1, grants: 1 },
    ]);
  });

  it('shows each person only their own events on the account page', async () => {
    const ada = await signUpOnAccountPage(server.issuer, 'ada', { userAgent: UA });
    // Bob fails a sign-in from a device Ada never used.
    const bob = await accountFor(server, 'bob');
    const start = await atSignInPage(
      server.issuer,
      client,
      {},
      { userAgent: 'BobsOwnAgent/7.1 (Plan 9)' },
    );
    const form = formByAction(start.login, '/login');
    await start.browser.post(form.action, { ...form.fields, email: bob.email, password: 'nope' });
    expect(await rows("account_id = $1 AND type = 'sign_in'", [bob.id])).to.have.length(1);

    const page = (await ada.browser.get('/account')).data;
    const section = page.slice(page.indexOf('id="activity"'));
    expect(section).to.include('Recent security activity');
    expect(section).not.to.include('BobsOwnAgent');
    expect(section).not.to.include('Failed sign-in');
    const [account] = await server.resources.db.query('SELECT id FROM accounts WHERE email = $1', [
      ada.who.email,
    ]);
    const own = await rows('account_id = $1', [account.id]);
    const items = section.slice(0, section.indexOf('</ul>')).match(/<li\b/g) ?? [];
    expect(items).to.have.length(own.length);
    expect(section).to.match(/<time datetime="\d{4}-\d{2}-\d{2}T[\d:.]+Z">/);
  });

  it('lands every one of 50 failed sign-ins sent at once, without errors', async () => {
    const who = await accountFor(server, 'burst');
    const starts = await Promise.all(
      Array.from({ length: 50 }, () => atSignInPage(server.issuer, client)),
    );
    const before = server.latchkey.audit.writer.stats;
    const started = Date.now();
    const answers = await Promise.all(
      starts.map(({ browser, login }) => {
        const form = formByAction(login, '/login');
        return browser.post(form.action, { ...form.fields, email: who.email, password: 'wrong!' });
      }),
    );
    const ms = Date.now() - started;
    expect(answers.map((a) => a.status)).to.deep.equal(Array(50).fill(401));
    const failures = await rows("account_id = $1 AND type = 'sign_in' AND outcome = 'failure'", [
      who.id,
    ]);
    expect(failures).to.have.length(50);
    expect(new Set(failures.map((r) => r.request_id)).size).to.equal(50);
    expect(server.latchkey.audit.writer.stats.dropped).to.equal(before.dropped);
    expect(server.logs.filter((l) => String(l.event).startsWith('audit.'))).to.deep.equal([]);
    // Generous: fifty bcrypt checks at cost 4 on a busy two-core machine.
    expect(ms).to.be.lessThan(15_000);
  });

  it('records a refresh token used twice as reuse, with the account and the application', async () => {
    const { tokens, person: who } = await signUpAndAuthorize(server.issuer, client, OFFLINE);
    const token = tokens.refresh_token as string;
    expect((await refresh(server.issuer, client, token)).status).to.equal(200);
    const replay = await refresh(server.issuer, client, token);
    expect(replay.status).to.equal(400);
    const [account] = await server.resources.db.query('SELECT id FROM accounts WHERE email = $1', [
      who.email,
    ]);
    const reuse = await rows("account_id = $1 AND type = 'refresh_token.reuse_detected'", [
      account.id,
    ]);
    expect(reuse).to.have.length(1);
    expect(reuse[0]).to.include({
      outcome: 'failure',
      actor: 'system',
      client_id: client.client_id,
    });
    expect(JSON.stringify(reuse)).not.to.include(token);
  });

  it('prunes only the events older than the retention', async () => {
    const old = new Date(Date.now() - 181 * 86_400_000);
    const recent = new Date(Date.now() - 179 * 86_400_000);
    await server.resources.db.query(
      `INSERT INTO audit_events (occurred_at, type, outcome, actor, details)
       SELECT t, 'admin.keys_rotated', 'success', 'operator', jsonb_build_object('retention', n)
         FROM (VALUES ($1::timestamptz, 1), ($1::timestamptz, 2), ($2::timestamptz, 3)) AS v(t, n)`,
      [old, recent],
    );
    const total = Number((await rows('true')).length);
    await server.latchkey.audit.retention.pruneNow();
    const left = await rows("details ? 'retention'");
    expect(left.map((r) => r.details.retention)).to.deep.equal([3]);
    expect((await rows('true')).length).to.equal(total - 2);
    expect(server.logs.some((l) => l.event === 'audit.pruned' && l.deleted === 2)).to.equal(true);
  });
});

describe('the audit writer', function () {
  this.timeout(60_000);
  const server = useServer();

  const count = async () =>
    Number((await server.resources.db.query('SELECT count(*) FROM audit_events'))[0].count);

  it('writes many events in batches and drops, counts and logs what its bounded buffer cannot hold', async () => {
    const { lines, logger } = capturingLogger('info');
    const writer = new AuditWriter({
      store: new AuditStore(server.resources.db),
      logger,
      flushMs: 60_000,
      bufferLimit: BATCH_SIZE * 3,
    });
    const base = await count();
    const started = process.hrtime.bigint();
    for (let i = 0; i < BATCH_SIZE * 4; i++) {
      writer.record({ type: 'sign_in', outcome: 'failure', details: { method: 'password' } });
    }
    const recordMs = Number(process.hrtime.bigint() - started) / 1e6;
    // Each full batch is written at once, so some room came back while recording.
    await writer.close();
    const written = (await count()) - base;
    expect(written + writer.stats.dropped).to.equal(BATCH_SIZE * 4);
    expect(written).to.be.at.least(BATCH_SIZE * 3);
    expect(writer.stats.written).to.equal(written);
    if (writer.stats.dropped > 0) {
      expect(lines.find((l) => l.event === 'audit.dropped')).to.include({ reason: 'buffer_full' });
    }
    // Recording only queues: 2,000 events take far less than one INSERT round trip each.
    expect(recordMs).to.be.lessThan(500);
  });

  it('keeps nothing named like a secret in the details', async () => {
    const writer = new AuditWriter({
      store: new AuditStore(server.resources.db),
      logger: capturingLogger().logger,
      flushMs: 10,
      bufferLimit: 100,
    });
    writer.record({
      type: 'sign_in',
      details: {
        method: 'password',
        password: 'hunter2',
        refresh_token: 'rt-123',
        user_code: 'ABCD-EFGH',
        client_secret: 's3',
        passkey_id: 'p1',
      },
    });
    await writer.close();
    const [row] = await server.resources.db.query(
      "SELECT details FROM audit_events WHERE details->>'passkey_id' = 'p1'",
    );
    expect(row.details).to.deep.equal({ method: 'password', passkey_id: 'p1' });
  });
});

describe('the audit trail on shutdown', function () {
  this.timeout(60_000);

  it('writes the events still buffered when the server stops', async () => {
    // Flushed only every 10 s: the event is still in memory when the server stops.
    const server = await startTestServer({ env: { AUDIT_FLUSH_MS: '10000' } });
    const { namespace } = server;
    try {
      const who = await accountFor(server, 'late');
      const start = await atSignInPage(server.issuer, client);
      const form = formByAction(start.login, '/login');
      await start.browser.post(form.action, { ...form.fields, email: who.email, password: 'no' });
      expect(server.latchkey.audit.writer.stats.waiting).to.equal(1);
      await server.stop({ keepData: true });
      const check = new pg.Client({ connectionString: server.config.databaseUrl });
      await check.connect();
      try {
        const { rows } = await check.query(
          `SELECT type, outcome FROM ${pg.escapeIdentifier(namespace)}.audit_events WHERE account_id = $1`,
          [who.id],
        );
        expect(rows).to.deep.equal([{ type: 'sign_in', outcome: 'failure' }]);
      } finally {
        await check.end();
      }
    } finally {
      await dropNamespace(namespace);
    }
  });
});
