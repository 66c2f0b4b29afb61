// Signing keys and generated cookie keys are sealed in Postgres under the key-encryption key: a
// copy of the database holds no private key, and only the right KEY_ENCRYPTION_KEYS boots.
import { expect } from 'chai';
import * as jose from 'jose';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { InitialSchema1763769600000 } from '../../migrations/1763769600000-initial-schema.ts';
import { connect, type Resources } from '../../src/boot.ts';
import { type Env, loadConfig } from '../../src/config.ts';
import { MIGRATIONS_TABLE } from '../../src/db/migrate.ts';
import { StoredKeysUnreadable } from '../../src/keys/key-encryption.ts';
import { createLogger } from '../../src/logger.ts';
import { capturingLogger } from '../support/captured-logs.ts';
import { signUpAndAuthorize } from '../support/oidc.ts';
import { runCli as runCliWith, runServerProcess } from '../support/process.ts';
import {
  dropNamespace,
  newKek,
  serverEnv,
  startTestServer,
  TEST_CLIENTS,
  TEST_DATABASE_URL,
  uniqueNamespace,
  useServer,
} from '../support/server.ts';
import { NO_RELAY } from '../support/server-env.ts';

const PRIVATE_PARAMS = ['d', 'p', 'q', 'dp', 'dq', 'qi'] as const;

interface Rows {
  signing: { kid: string; private_jwk: unknown; kek_id: string | null; text: string }[];
  secrets: { name: string; value: unknown; kek_id: string | null; text: string }[];
}

async function rowsIn(namespace: string): Promise<Rows> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    const schema = pg.escapeIdentifier(namespace);
    const signing = await client.query(
      `SELECT kid, private_jwk, kek_id, row_to_json(s)::text AS text FROM ${schema}.signing_keys s ORDER BY kid`,
    );
    const secrets = await client.query(
      `SELECT name, value, kek_id, row_to_json(s)::text AS text FROM ${schema}.instance_secrets s`,
    );
    return { signing: signing.rows, secrets: secrets.rows };
  } finally {
    await client.end();
  }
}

function configFor(namespace: string, env: Env = {}) {
  return loadConfig(serverEnv({ namespace, issuer: 'http://127.0.0.1:1', extra: env }));
}

async function bootFails(namespace: string, env: Env): Promise<StoredKeysUnreadable> {
  const outcome = await connect(configFor(namespace, env), createLogger('silent')).then(
    async (resources: Resources) => {
      await resources.close();
      return undefined;
    },
    (error: unknown) => error,
  );
  expect(outcome, 'the boot should have failed').to.be.instanceOf(StoredKeysUnreadable);
  return outcome as StoredKeysUnreadable;
}

const runCli = (args: string[], env: Record<string, string>) => runCliWith(args, { env });

const secretOf = (kek: string) => kek.slice(kek.indexOf(':') + 1);

describe('keys at rest', function () {
  this.timeout(60_000);

  describe('with a key-encryption key', () => {
    const server = useServer();

    it('keeps no private JWK parameter and no cookie key in Postgres', async () => {
      const rows = await rowsIn(server.namespace);
      expect(rows.signing).to.have.length(2);
      for (const row of rows.signing) {
        expect(row.private_jwk).to.equal(null);
        expect(row.kek_id).to.equal('test');
        for (const name of PRIVATE_PARAMS) expect(row.text).not.to.include(`"${name}"`);
      }
      for (const jwk of server.resources.jwks.keys) {
        for (const name of PRIVATE_PARAMS) {
          const value = jwk[name];
          if (typeof value !== 'string') continue;
          for (const row of [...rows.signing, ...rows.secrets]) {
            expect(row.text).not.to.include(value);
            expect(row.text).not.to.include(Buffer.from(value, 'base64url').toString('hex'));
          }
        }
      }
      const [cookieRow] = rows.secrets;
      expect(cookieRow?.name).to.equal('cookie_keys');
      expect(cookieRow?.value).to.equal(null);
      expect(cookieRow?.kek_id).to.equal('test');
      for (const key of server.resources.cookieKeys) {
        for (const row of [...rows.signing, ...rows.secrets]) {
          expect(row.text).not.to.include(key);
          expect(row.text).not.to.include(Buffer.from(key).toString('hex'));
        }
      }
    });

    it('boots again with the same key: the same keys, and tokens signed before still verify', async () => {
      const { tokens } = await signUpAndAuthorize(server.issuer, TEST_CLIENTS.firstParty);
      const kids = server.resources.jwks.keys.map((k) => k.kid).sort();
      const cookieKeys = server.resources.cookieKeys;
      await server.stop({ keepData: true });
      await server.restart();
      expect(server.resources.jwks.keys.map((k) => k.kid).sort()).to.deep.equal(kids);
      expect(server.resources.cookieKeys).to.deep.equal(cookieKeys);
      const jwks = jose.createLocalJWKSet(
        (await (await fetch(`${server.issuer}/jwks`)).json()) as jose.JSONWebKeySet,
      );
      await jose.jwtVerify(tokens.id_token as string, jwks, { issuer: server.issuer });
      const next = await signUpAndAuthorize(server.issuer, TEST_CLIENTS.firstParty);
      await jose.jwtVerify(next.tokens.id_token as string, jwks, { issuer: server.issuer });
    });

    it('refuses to boot with a wrong, unknown or missing key, naming every unreadable row', async () => {
      const wrong = await bootFails(server.namespace, { KEY_ENCRYPTION_KEYS: newKek('test') });
      expect(wrong.problems).to.have.length(3);
      for (const problem of wrong.problems) {
        expect(problem).to.include('does not decrypt with key-encryption key "test"');
      }
      expect(wrong.problems.join('\n')).to.include('the generated cookie keys');
      const unknown = await bootFails(server.namespace, { KEY_ENCRYPTION_KEYS: newKek('other') });
      expect(unknown.problems[0]).to.include(
        'is encrypted with key-encryption key "test", which KEY_ENCRYPTION_KEYS does not list (it lists "other")',
      );
      const missing = await bootFails(server.namespace, { KEY_ENCRYPTION_KEYS: undefined });
      expect(missing.problems[0]).to.include('but KEY_ENCRYPTION_KEYS is not set');
      // Nothing was overwritten by the failed boots.
      const rows = await rowsIn(server.namespace);
      expect(rows.signing.map((r) => r.kek_id)).to.deep.equal(['test', 'test']);
    });
  });

  describe('in production', () => {
    const namespace = uniqueNamespace('kekprod');
    const kek = newKek('prod1');
    const base = serverEnv({
      namespace,
      production: true,
      keyEncryptionKeys: undefined,
      issuer: 'http://127.0.0.1:1',
      port: 0,
    });
    before(async () => {
      const resources = await connect(
        configFor(namespace, {
          NODE_ENV: 'production',
          KEY_ENCRYPTION_KEYS: kek,
          BCRYPT_COST: '10',
          SMTP_URL: NO_RELAY,
        }),
        createLogger('silent'),
      );
      await resources.close();
    });
    after(async () => {
      await dropNamespace(namespace);
    });

    it('refuses to start without KEY_ENCRYPTION_KEYS, saying how to make one', async () => {
      const { code, stdout } = await runServerProcess(base);
      expect(code).to.equal(78);
      const output = stdout.join('\n');
      expect(output).to.include('KEY_ENCRYPTION_KEYS is required when NODE_ENV=production');
      expect(output).to.include('openssl rand -base64 32');
    });

    it('refuses to start with the wrong key, listing each row it cannot read, and no key material', async () => {
      const other = newKek('prod1');
      const { code, stdout } = await runServerProcess({ ...base, KEY_ENCRYPTION_KEYS: other });
      expect(code).to.equal(1);
      const output = stdout.join('\n');
      expect(output).to.include('stored keys cannot be read with KEY_ENCRYPTION_KEYS');
      const fatal = stdout
        .map((line) => JSON.parse(line) as { level: string; msg: string })
        .find((line) => line.level === 'fatal');
      expect(fatal?.msg.match(/does not decrypt with key-encryption key "prod1"/g)).to.have.length(
        3,
      );
      expect(output).not.to.include(secretOf(other));
      expect(output).not.to.include(secretOf(kek));
    });
  });

  describe('keys:rewrap', () => {
    const k1 = newKek('k1');
    const k2 = newKek('k2');
    const server = useServer({ env: { KEY_ENCRYPTION_KEYS: k1 } });

    const cli = (args: string[], kek: string) =>
      runCli(args, {
        DATABASE_URL: TEST_DATABASE_URL,
        DATABASE_SCHEMA: server.namespace,
        BCRYPT_COST: '4',
        KEY_ENCRYPTION_KEYS: kek,
      });

    it('changes nothing when a row needs a key it was not given', async () => {
      const result = await cli(['keys:rewrap'], k2);
      expect(result.status).to.equal(1);
      expect(result.stderr).to.include('Nothing was changed');
      expect(result.stderr).to.include('"k1", which KEY_ENCRYPTION_KEYS does not list');
      const rows = await rowsIn(server.namespace);
      expect([...rows.signing, ...rows.secrets].map((r) => r.kek_id)).to.deep.equal([
        'k1',
        'k1',
        'k1',
      ]);
    });

    it('re-encrypts every row under the new key: old-key boots then fail and new-key boots work', async () => {
      const { tokens } = await signUpAndAuthorize(server.issuer, TEST_CLIENTS.firstParty);
      await server.stop({ keepData: true });

      // Two operators running it at once: they take turns, and both succeed.
      const [result, again] = await Promise.all([
        cli(['keys:rewrap'], `${k2},${k1}`),
        cli(['keys:rewrap'], `${k2},${k1}`),
      ]);
      expect(result.status, result.stderr).to.equal(0);
      expect(again.status, again.stderr).to.equal(0);
      const outputs = [result.stdout, again.stdout].sort();
      expect(outputs.join('\n')).to.include('with key-encryption key "k2"');
      expect(outputs.some((o) => /signing keys\s+2 \(2 from "k1"\)/.test(o))).to.equal(true);
      expect(outputs.some((o) => /signing keys\s+2 \(2 from "k2"\)/.test(o))).to.equal(true);
      expect(outputs.join('\n')).to.match(/generated cookie keys\s+1 \(1 from "k[12]"\)/);
      for (const output of [result.stdout, result.stderr, again.stdout, again.stderr]) {
        expect(output).not.to.include(secretOf(k1));
        expect(output).not.to.include(secretOf(k2));
        for (const key of server.resources.cookieKeys) expect(output).not.to.include(key);
        for (const jwk of server.resources.jwks.keys)
          expect(output).not.to.include(jwk.d as string);
      }
      const rows = await rowsIn(server.namespace);
      expect([...rows.signing, ...rows.secrets].map((r) => r.kek_id)).to.deep.equal([
        'k2',
        'k2',
        'k2',
      ]);

      const oldOnly = await bootFails(server.namespace, { KEY_ENCRYPTION_KEYS: k1 });
      expect(oldOnly.problems).to.have.length(3);
      expect(oldOnly.problems[0]).to.include('"k2", which KEY_ENCRYPTION_KEYS does not list');

      const kids = server.resources.jwks.keys.map((k) => k.kid).sort();
      await server.restart({ env: { KEY_ENCRYPTION_KEYS: k2 } });
      expect(server.resources.jwks.keys.map((k) => k.kid).sort()).to.deep.equal(kids);
      const jwks = jose.createLocalJWKSet(
        (await (await fetch(`${server.issuer}/jwks`)).json()) as jose.JSONWebKeySet,
      );
      await jose.jwtVerify(tokens.id_token as string, jwks, { issuer: server.issuer });
    });

    it('refuses to run without a key-encryption key', async () => {
      const result = await runCli(['keys:rewrap'], {
        DATABASE_URL: TEST_DATABASE_URL,
        DATABASE_SCHEMA: server.namespace,
      });
      expect(result.status).to.equal(1);
      expect(result.stderr).to.include('KEY_ENCRYPTION_KEYS is not set');
    });
  });

  describe('rows stored in plain text', () => {
    it('are sealed by the first boot with a key, once, when instances boot together', async () => {
      // A database from before encryption at rest: the first migration and plain rows.
      const namespace = uniqueNamespace('plainkeys');
      const legacy = new DataSource({
        type: 'postgres',
        url: TEST_DATABASE_URL,
        schema: namespace,
        migrations: [InitialSchema1763769600000],
        migrationsTableName: MIGRATIONS_TABLE,
        extra: { options: `-c search_path=${namespace}` },
      });
      try {
        await legacy.initialize();
        await legacy.query(`CREATE SCHEMA ${pg.escapeIdentifier(namespace)}`);
        await legacy.runMigrations();
        const jwks: jose.JWK[] = [];
        for (const alg of ['RS256', 'ES256'] as const) {
          const { privateKey } = await jose.generateKeyPair(alg, { extractable: true });
          const jwk = await jose.exportJWK(privateKey);
          const kid = await jose.calculateJwkThumbprint(jwk);
          jwks.push({ ...jwk, kid, alg, use: 'sig' });
        }
        for (const jwk of jwks) {
          await legacy.query(
            "INSERT INTO signing_keys (kid, alg, status, private_jwk, activated_at) VALUES ($1, $2, 'active', $3, now())",
            [jwk.kid, jwk.alg, JSON.stringify(jwk)],
          );
        }
        const cookieKeys = ['a-plain-cookie-key-from-before-encryption-at-rest'];
        await legacy.query(
          "INSERT INTO instance_secrets (name, value) VALUES ('cookie_keys', $1)",
          [JSON.stringify(cookieKeys)],
        );
        await legacy.destroy();

        const config = configFor(namespace, { KEY_ENCRYPTION_KEYS: newKek('first') });
        const { lines, logger } = capturingLogger();
        const [a, b] = await Promise.all([connect(config, logger), connect(config, logger)]);
        try {
          for (const resources of [a, b]) {
            expect(resources.jwks.keys).to.deep.include.members(jwks);
            expect(resources.cookieKeys).to.deep.equal(cookieKeys);
          }
        } finally {
          await Promise.all([a.close(), b.close()]);
        }
        const sealed = lines.filter((l) => l.msg === 'plain stored keys sealed');
        expect(sealed).to.have.length(1);
        expect(sealed[0]?.sealed).to.deep.equal({
          signing_keys: { plaintext: 2 },
          instance_secrets: { plaintext: 1 },
        });
        const rows = await rowsIn(namespace);
        for (const row of rows.signing) {
          expect(row.kek_id).to.equal('first');
          for (const name of PRIVATE_PARAMS) expect(row.text).not.to.include(`"${name}"`);
        }
        expect(rows.secrets[0]?.text).not.to.include(cookieKeys[0]);
      } finally {
        if (legacy.isInitialized) await legacy.destroy();
        await dropNamespace(namespace);
      }
    });

    it('are what a development boot without a key writes, loudly; keys:rewrap seals them', async () => {
      let server = await startTestServer({ env: { KEY_ENCRYPTION_KEYS: undefined } });
      try {
        const warning = server.logs.find((l) => l.event === 'keys.plaintext');
        expect(warning?.level).to.equal('warn');
        expect(warning?.msg).to.include('plain text');
        let rows = await rowsIn(server.namespace);
        expect(rows.signing.map((r) => r.kek_id)).to.deep.equal([null, null]);
        expect(rows.signing[0]?.private_jwk).to.have.property('d');
        const kids = server.resources.jwks.keys.map((k) => k.kid).sort();
        await server.stop({ keepData: true });

        const kek = newKek('sealed');
        const result = await runCli(['keys:rewrap'], {
          DATABASE_URL: TEST_DATABASE_URL,
          DATABASE_SCHEMA: server.namespace,
          KEY_ENCRYPTION_KEYS: kek,
        });
        expect(result.status, result.stderr).to.equal(0);
        expect(result.stdout).to.match(/signing keys\s+2 \(2 from plain text\)/);
        expect(result.stdout).to.match(/generated cookie keys\s+1 \(1 from plain text\)/);
        rows = await rowsIn(server.namespace);
        expect([...rows.signing, ...rows.secrets].every((r) => r.kek_id === 'sealed')).to.equal(
          true,
        );
        for (const row of rows.signing) expect(row.text).not.to.include('"d"');

        server = await startTestServer({ reuse: server, env: { KEY_ENCRYPTION_KEYS: kek } });
        expect(server.resources.jwks.keys.map((k) => k.kid).sort()).to.deep.equal(kids);
        expect(server.logs.some((l) => l.event === 'keys.plaintext')).to.equal(false);
      } finally {
        await server.stop();
      }
    });
  });
});
