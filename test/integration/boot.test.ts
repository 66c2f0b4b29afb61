// The real process: a production boot prints no library warnings, logs JSON, refuses bad config,
// and stops cleanly on SIGTERM.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import * as client from 'openid-client';
import { formByAction } from '../support/browser.ts';
import { type MailCatcher, startMailCatcher } from '../support/mail-catcher.ts';
import { OFFLINE, signUpAndAuthorize } from '../support/oidc.ts';
import { runServerProcess, type ServerProcess, startServerProcess } from '../support/process.ts';
import {
  dropNamespace,
  newKek,
  serverEnv,
  TEST_CLIENTS,
  uniqueNamespace,
} from '../support/server.ts';

describe('the server process', () => {
  let dir: string;
  let clientsFile: string;
  const namespace = uniqueNamespace('boot');
  let mail: MailCatcher;
  /** The relay's password, which must never be logged. */
  const relayPassword = 'relay-password-8c1d';

  before(async () => {
    mail = await startMailCatcher();
    dir = await mkdtemp(path.join(tmpdir(), 'latchkey-boot-'));
    clientsFile = path.join(dir, 'clients.json');
    await writeFile(clientsFile, JSON.stringify(Object.values(TEST_CLIENTS)));
  });
  after(async () => {
    await mail.stop();
    await dropNamespace(namespace);
    await rm(dir, { recursive: true, force: true });
  });

  const kek = newKek();
  const env = () =>
    serverEnv({
      namespace,
      production: true,
      keyEncryptionKeys: kek,
      clientsFile,
      smtpUrl: `smtp://latchkey:${relayPassword}@127.0.0.1:${mail.port}`,
    });

  describe('with a production configuration', () => {
    let server: ServerProcess;
    let exitCode: number | null;

    before(async () => {
      server = await startServerProcess(env(), { mail });
      const c = TEST_CLIENTS.firstParty;
      // Traffic that reaches every policy hook the library would otherwise warn about.
      const { rp, browser, tokens } = await signUpAndAuthorize(server.issuer, c, OFFLINE);
      await client.fetchUserInfo(rp, tokens.access_token, tokens.claims()?.sub ?? '');
      const refreshed = await client.refreshTokenGrant(rp, tokens.refresh_token as string);
      await client.tokenIntrospection(rp, refreshed.access_token);
      await client.tokenRevocation(rp, refreshed.access_token);
      await fetch(`${server.issuer}/userinfo`, {
        method: 'OPTIONS',
        headers: { origin: 'http://127.0.0.1:1', 'access-control-request-method': 'GET' },
      });
      await fetch(`${server.issuer}/token`, {
        method: 'POST',
        headers: {
          origin: 'http://127.0.0.1:3',
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: 'grant_type=refresh_token&refresh_token=x&client_id=public-spa',
      });
      await fetch(`${server.issuer}/authorize?client_id=unknown&response_type=code`);
      const confirm = await browser.get(client.buildEndSessionUrl(rp).toString());
      const form = formByAction(confirm.data, '/logout/confirm');
      await browser.follow(await browser.post(form.action, { ...form.fields, logout: 'yes' }));
      exitCode = await server.stop();
    });

    it('prints no oidc-provider WARNING or NOTICE line', () => {
      const all = [...server.stdout, ...server.stderr].join('\n');
      expect(all).not.to.match(/oidc-provider (WARNING|NOTICE)/);
    });

    it('writes only JSON log lines, with a request id on every request line, and nothing on stderr', () => {
      expect(server.stderr).to.deep.equal([]);
      const lines = server.stdout.map((l) => JSON.parse(l) as Record<string, unknown>);
      const requests = lines.filter((l) => l.msg === 'request');
      expect(requests.length).to.be.greaterThan(10);
      for (const line of requests) expect(line.reqId).to.be.a('string');
    });

    it('never logs secrets, passwords or keys', () => {
      const all = server.stdout.join('\n');
      expect(all).not.to.include(TEST_CLIENTS.firstParty.client_secret);
      expect(all).not.to.include('correct horse battery');
      expect(all).not.to.include(relayPassword);
      expect(all).not.to.match(/"d":"/);
    });

    it('stops on SIGTERM with exit code 0 after closing its connections', () => {
      expect(exitCode).to.equal(0);
      const messages = server.stdout.map((l) => (JSON.parse(l) as { msg: string }).msg);
      expect(messages).to.include('shutting down');
      expect(messages.at(-1)).to.equal('stopped');
    });
  });

  it('refuses to boot on bad configuration and lists every problem in one message', async () => {
    const result = await runServerProcess({
      ...env(),
      ISSUER: 'ftp://id.example.com',
      BCRYPT_COST: '99',
      COOKIE_KEYS: 'too-short',
      LOG_LEVEL: 'loud',
    });
    expect(result.code).to.equal(78);
    expect(result.stdout).to.have.length(1);
    const line = JSON.parse(result.stdout[0] as string) as {
      level: string;
      problems: string[];
      msg: string;
    };
    expect(line.level).to.equal('fatal');
    expect(line.problems).to.have.length(4);
    for (const name of ['ISSUER', 'BCRYPT_COST', 'COOKIE_KEYS', 'LOG_LEVEL']) {
      expect(line.msg).to.include(name);
    }
  });

  it('refuses to boot with REDIS_CLUSTER=true against a Redis that is no cluster node, saying so', async () => {
    const result = await runServerProcess({ ...env(), REDIS_CLUSTER: 'true' });
    expect(result.code).to.not.equal(0);
    const all = result.stdout.join('\n');
    expect(all).to.include('Redis Cluster seeded by');
    expect(all).to.include('cluster support disabled');
  });

  it('refuses to boot in production with a bcrypt cost meant for tests', async () => {
    const result = await runServerProcess({ ...env(), BCRYPT_COST: '4' });
    expect(result.code).to.equal(78);
    const line = JSON.parse(result.stdout[0] as string) as { problems: string[] };
    expect(line.problems).to.deep.equal([
      'BCRYPT_COST must be at least 10 when NODE_ENV is production (got 4); lower costs are for tests only',
    ]);
  });

  it('refuses to boot in production without SMTP_URL while sign-up is open, naming the way out', async () => {
    const result = await runServerProcess({ ...env(), SMTP_URL: '' });
    expect(result.code).to.equal(78);
    const line = JSON.parse(result.stdout[0] as string) as { problems: string[] };
    expect(line.problems).to.have.length(1);
    expect(line.problems[0])
      .to.include('SMTP_URL is required')
      .and.include('SIGN_UP_ENABLED=false');
  });

  it('refuses to boot with an invalid clients file and says what is wrong', async () => {
    const bad = path.join(dir, 'bad-clients.json');
    await writeFile(
      bad,
      JSON.stringify([
        { client_id: 'x', client_secret: 'short', redirect_uris: ['http://evil.example/cb'] },
      ]),
    );
    const result = await runServerProcess({
      ...env(),
      ISSUER: 'http://127.0.0.1:9',
      CLIENTS_FILE: bad,
    });
    expect(result.code).to.equal(1);
    const line = JSON.parse(result.stdout.at(-1) as string) as { problems: string[] };
    expect(line.problems.join('\n')).to.include('client_secret');
    expect(line.problems.join('\n')).to.include('https');
  });

  it('refuses to boot with an invalid resource servers file and lists every problem', async () => {
    const bad = path.join(dir, 'bad-resource-servers.json');
    await writeFile(
      bad,
      JSON.stringify([
        { audience: 'https://orders.example.com', format: 'jwe', scopes: { 'orders:read': '' } },
        { audience: 'https://orders.example.com#x', scopes: { openid: 'Sign in' } },
      ]),
    );
    const result = await runServerProcess({
      ...env(),
      ISSUER: 'http://127.0.0.1:9',
      RESOURCE_SERVERS_FILE: bad,
    });
    expect(result.code).to.equal(1);
    const line = JSON.parse(result.stdout.at(-1) as string) as { msg: string; problems: string[] };
    expect(line.msg).to.include(`Invalid resource servers file ${bad}`);
    expect(line.problems).to.have.length(5);
    expect(line.problems.join('\n'))
      .to.include('format must be "jwt" or "opaque"')
      .and.to.include('the description of "orders:read"')
      .and.to.include('audience must not have a fragment')
      .and.to.include('format must be "jwt" or "opaque"')
      .and.to.include('"openid" is an OpenID Connect scope');
  });

  it('refuses to boot when a client names a resource or scope that is not configured', async () => {
    const clients = path.join(dir, 'clients-with-resources.json');
    await writeFile(
      clients,
      JSON.stringify([
        { ...TEST_CLIENTS.thirdParty, resources: { 'https://nowhere.example': ['x'] } },
        { ...TEST_CLIENTS.publicSpa, resources: { 'http://127.0.0.1:9/api': ['admin'] } },
      ]),
    );
    const result = await runServerProcess({
      ...env(),
      ISSUER: 'http://127.0.0.1:9',
      CLIENTS_FILE: clients,
    });
    expect(result.code).to.equal(1);
    const line = JSON.parse(result.stdout.at(-1) as string) as { problems: string[] };
    expect(line.problems).to.deep.equal([
      'client "third-party-app": resources names https://nowhere.example, which is not a resource server',
      'client "public-spa": http://127.0.0.1:9/api has no scope "admin"',
    ]);
  });
});
