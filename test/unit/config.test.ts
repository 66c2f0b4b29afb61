// loadConfig: defaults, every refused value, and all problems reported together.
import { expect } from 'chai';
import { ConfigError, type Env, loadConfig } from '../../src/config.ts';

const GOOD_KEY = 'k'.repeat(32);
const DEFAULT_BRAND = {
  product: 'Latchkey',
  logo: undefined,
  primaryColor: undefined,
  accentColor: undefined,
  supportEmail: undefined,
  termsUrl: undefined,
  privacyUrl: undefined,
};
const OTHER_KEY = 'o'.repeat(40);
/** A mail relay, which production requires while sign-up is open. */
const RELAY = 'smtp://relay.example.com:587';

/** The problems loadConfig reports for env; fails the test when it accepts env. */
function problemsOf(env: Env): readonly string[] {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).to.be.instanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  expect.fail('loadConfig accepted a configuration it should refuse');
}

const INSECURE_ISSUER =
  'ISSUER must use https unless its host is loopback (set ALLOW_INSECURE_ISSUER=true to accept plain http, e.g. on a private test network)';
const HTTPS_WITHOUT_PROXY =
  'ISSUER is https but TRUST_PROXY is false: Latchkey serves plain HTTP behind a TLS-terminating proxy, so set TRUST_PROXY=true';

describe('loadConfig', () => {
  describe('when nothing is set', () => {
    it('gives a complete local development configuration', () => {
      expect(loadConfig({})).to.deep.equal({
        issuer: 'http://localhost:3000',
        port: 3000,
        databaseUrl: 'postgres://postgres@127.0.0.1:5432/latchkey',
        databaseReadUrl: undefined,
        databaseSchema: 'public',
        redisUrl: 'redis://127.0.0.1:6379',
        redisTarget: { kind: 'standalone', url: 'redis://127.0.0.1:6379' },
        redisKeyPrefix: 'latchkey:',
        clientsFile: undefined,
        resourceServersFile: undefined,
        cookieKeys: undefined,
        bcryptCost: 12,
        bcryptQueueLimit: 16,
        production: false,
        trustProxy: false,
        trustProxyHops: 0,
        logLevel: 'info',
        migrateOnBoot: true,
        allowInsecureIssuer: false,
        backchannelAllowPrivateNetwork: false,
        sessionMetadata: true,
        shutdownTimeoutMs: 10000,
        upstreams: {},
        upstreamOrder: ['google', 'facebook', 'x'],
        upstreamTimeoutMs: 10000,
        refreshReuseGraceSeconds: 30,
        claimsCacheSeconds: 60,
        recentSignInSeconds: 300,
        device: {
          codeTtlSeconds: 600,
          pollIntervalSeconds: 5,
          attemptsPerSession: 10,
          attemptsPerSource: 50,
        },
        keyEncryptionKeys: [],
        brand: DEFAULT_BRAND,
        signUpEnabled: true,
        mail: { smtpUrl: undefined, from: '"Latchkey" <no-reply@localhost>', queueLimit: 500 },
        metrics: { port: undefined, host: '127.0.0.1', token: undefined },
        tracing: undefined,
        audit: { retentionDays: 180, flushMs: 250, bufferLimit: 10000 },
      });
    });

    it('treats empty and blank values as unset', () => {
      const config = loadConfig({ PORT: '', LOG_LEVEL: '   ', COOKIE_KEYS: '', CLIENTS_FILE: ' ' });
      expect(config.port).to.equal(3000);
      expect(config.logLevel).to.equal('info');
      expect(config.cookieKeys).to.equal(undefined);
      expect(config.clientsFile).to.equal(undefined);
    });

    it('derives the default issuer from PORT', () => {
      expect(loadConfig({ PORT: '8080' }).issuer).to.equal('http://localhost:8080');
    });

    it('ignores variables it does not know, such as an unrelated process.env entry', () => {
      expect(loadConfig({ HOME: '/root', NODE_ENV: 'test' }).port).to.equal(3000);
    });
  });

  describe('when everything is set', () => {
    it('reads each setting, trimming surrounding spaces', () => {
      const config = loadConfig({
        ISSUER: ' https://id.example.com ',
        PORT: '8443',
        DATABASE_URL: 'postgresql://app:pw@db.internal:5432/idp',
        DATABASE_READ_URL: 'postgresql://app:pw@db-replica.internal:5432/idp',
        DATABASE_SCHEMA: 'latchkey_1',
        REDIS_URL: 'rediss://cache.internal:6380',
        REDIS_KEY_PREFIX: 'lk.prod-1:',
        CLIENTS_FILE: '/etc/latchkey/clients.json',
        RESOURCE_SERVERS_FILE: ' /etc/latchkey/resource-servers.json ',
        COOKIE_KEYS: ` ${GOOD_KEY} , ${OTHER_KEY} `,
        BCRYPT_COST: '10',
        TRUST_PROXY: 'yes',
        LOG_LEVEL: 'debug',
        MIGRATE_ON_BOOT: 'off',
        ALLOW_INSECURE_ISSUER: '0',
        SHUTDOWN_TIMEOUT_MS: '600000',
        REFRESH_REUSE_GRACE_SECONDS: ' 0 ',
        CLAIMS_CACHE_SECONDS: ' 5 ',
        DEVICE_CODE_TTL_SECONDS: '300',
        DEVICE_POLL_INTERVAL_SECONDS: '10',
        DEVICE_CODE_ATTEMPTS_PER_SESSION: '5',
        DEVICE_CODE_ATTEMPTS_PER_SOURCE: '20',
        SIGN_UP_ENABLED: 'no',
        SMTP_URL: ' smtps://mailer:pw@smtp.example.com:465 ',
        MAIL_FROM: ' "Example ID" <id@example.com> ',
        MAIL_QUEUE_LIMIT: '50',
        METRICS_PORT: ' 9464 ',
        METRICS_HOST: '0.0.0.0',
        METRICS_TOKEN: ` ${OTHER_KEY} `,
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector.internal:4318/',
        OTEL_SERVICE_NAME: 'latchkey-eu',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        AUDIT_RETENTION_DAYS: ' 30 ',
        AUDIT_FLUSH_MS: '50',
        AUDIT_BUFFER_LIMIT: '500',
      });
      expect(config).to.deep.equal({
        issuer: 'https://id.example.com',
        port: 8443,
        databaseUrl: 'postgresql://app:pw@db.internal:5432/idp',
        databaseReadUrl: 'postgresql://app:pw@db-replica.internal:5432/idp',
        databaseSchema: 'latchkey_1',
        redisUrl: 'rediss://cache.internal:6380',
        redisTarget: { kind: 'standalone', url: 'rediss://cache.internal:6380' },
        redisKeyPrefix: 'lk.prod-1:',
        clientsFile: '/etc/latchkey/clients.json',
        resourceServersFile: '/etc/latchkey/resource-servers.json',
        cookieKeys: [GOOD_KEY, OTHER_KEY],
        bcryptCost: 10,
        bcryptQueueLimit: 64,
        production: false,
        trustProxy: true,
        trustProxyHops: 1,
        logLevel: 'debug',
        migrateOnBoot: false,
        allowInsecureIssuer: false,
        backchannelAllowPrivateNetwork: false,
        sessionMetadata: true,
        shutdownTimeoutMs: 600000,
        upstreams: {},
        upstreamOrder: ['google', 'facebook', 'x'],
        upstreamTimeoutMs: 10000,
        refreshReuseGraceSeconds: 0,
        claimsCacheSeconds: 5,
        recentSignInSeconds: 300,
        device: {
          codeTtlSeconds: 300,
          pollIntervalSeconds: 10,
          attemptsPerSession: 5,
          attemptsPerSource: 20,
        },
        keyEncryptionKeys: [],
        brand: DEFAULT_BRAND,
        signUpEnabled: false,
        mail: {
          smtpUrl: 'smtps://mailer:pw@smtp.example.com:465',
          from: '"Example ID" <id@example.com>',
          queueLimit: 50,
        },
        metrics: { port: 9464, host: '0.0.0.0', token: OTHER_KEY },
        tracing: { endpoint: 'http://collector.internal:4318', serviceName: 'latchkey-eu' },
        audit: { retentionDays: 30, flushMs: 50, bufferLimit: 500 },
      });
    });

    it('understands true/false spelled as 1/0, yes/no, on/off in any case', () => {
      for (const [text, value] of [
        ['TRUE', true],
        ['1', true],
        ['Yes', true],
        ['on', true],
        ['False', false],
        ['0', false],
        ['NO', false],
        ['off', false],
      ] as const) {
        expect(loadConfig({ MIGRATE_ON_BOOT: text }).migrateOnBoot, text).to.equal(value);
      }
    });
  });

  describe('the issuer', () => {
    it('loses its trailing slashes', () => {
      expect(loadConfig({ ISSUER: 'http://localhost:3000/' }).issuer).to.equal(
        'http://localhost:3000',
      );
      expect(
        loadConfig({ ISSUER: 'https://id.example.com/tenant//', TRUST_PROXY: 'true' }).issuer,
      ).to.equal('https://id.example.com/tenant');
    });

    it('may be https only when TRUST_PROXY says a TLS proxy is in front', () => {
      expect(problemsOf({ ISSUER: 'https://id.example.com' })).to.deep.equal([HTTPS_WITHOUT_PROXY]);
      expect(loadConfig({ ISSUER: 'https://id.example.com', TRUST_PROXY: 'true' }).issuer).to.equal(
        'https://id.example.com',
      );
    });

    it('still needs TRUST_PROXY when the https scheme is written in capitals', () => {
      expect(problemsOf({ ISSUER: 'HTTPS://id.example.com' })).to.deep.equal([HTTPS_WITHOUT_PROXY]);
    });

    it('is spelled with a lowercase scheme and host, keeping the path as written', () => {
      expect(
        loadConfig({ ISSUER: 'HTTPS://ID.Example.COM/Tenant/', TRUST_PROXY: 'true' }).issuer,
      ).to.equal('https://id.example.com/Tenant');
    });

    it('may be plain http on loopback hosts', () => {
      for (const issuer of [
        'http://localhost:3000',
        'http://127.0.0.1:3000',
        'http://127.8.9.10',
        'http://[::1]:3000',
        'http://id.localhost',
      ]) {
        expect(loadConfig({ ISSUER: issuer }).issuer, issuer).to.equal(issuer);
      }
    });

    it('is refused as plain http on any other host', () => {
      for (const issuer of [
        'http://id.example.com',
        'http://10.0.0.5:3000',
        'http://localhost.example.com',
        'http://127.example.com',
        'http://127.0.0.1.nip.io',
      ]) {
        expect(problemsOf({ ISSUER: issuer }), issuer).to.deep.equal([INSECURE_ISSUER]);
      }
    });

    it('may be plain http on any host when ALLOW_INSECURE_ISSUER=true', () => {
      const config = loadConfig({
        ISSUER: 'http://id.test.internal',
        ALLOW_INSECURE_ISSUER: 'true',
      });
      expect(config.issuer).to.equal('http://id.test.internal');
      expect(config.allowInsecureIssuer).to.equal(true);
      expect(config.trustProxy).to.equal(false);
    });

    it('is refused with a query or a fragment, even an empty one', () => {
      for (const issuer of [
        'http://localhost:3000?tenant=a',
        'http://localhost:3000/#top',
        'http://localhost:3000/?',
        'http://localhost:3000#',
      ]) {
        expect(problemsOf({ ISSUER: issuer }), issuer).to.deep.equal([
          'ISSUER must not have a query or fragment',
        ]);
      }
    });

    it('is refused with credentials in it', () => {
      expect(problemsOf({ ISSUER: 'http://admin:secret@localhost:3000' })).to.deep.equal([
        'ISSUER must not contain credentials',
      ]);
    });

    it('is refused when it is not an absolute http(s) URL', () => {
      for (const issuer of ['id.example.com', '/relative', 'ftp://id.example.com']) {
        expect(problemsOf({ ISSUER: issuer }), issuer).to.deep.equal([
          'ISSUER must be an absolute http(s) URL, e.g. https://id.example.com',
        ]);
      }
    });
  });

  describe('numbers', () => {
    it('accepts BCRYPT_COST from 4 to 16 only', () => {
      expect(loadConfig({ BCRYPT_COST: '4' }).bcryptCost).to.equal(4);
      expect(loadConfig({ BCRYPT_COST: '16' }).bcryptCost).to.equal(16);
      for (const cost of ['3', '17', '0', '-5', '12.5', '1e1', 'twelve']) {
        expect(problemsOf({ BCRYPT_COST: cost }), cost).to.deep.equal([
          `BCRYPT_COST must be an integer from 4 to 16 (got "${cost}")`,
        ]);
      }
    });

    it('refuses BCRYPT_COST below 10 when NODE_ENV is production, and only then', () => {
      const kek = `k1:${Buffer.alloc(32, 7).toString('base64')}`;
      const prod = { NODE_ENV: 'production', KEY_ENCRYPTION_KEYS: kek, SMTP_URL: RELAY };
      for (const cost of ['4', '9']) {
        expect(problemsOf({ ...prod, BCRYPT_COST: cost }), cost).to.deep.equal([
          `BCRYPT_COST must be at least 10 when NODE_ENV is production (got ${cost}); lower costs are for tests only`,
        ]);
      }
      const production = loadConfig({ ...prod, BCRYPT_COST: '10' });
      expect(production.production).to.equal(true);
      expect(production.bcryptCost).to.equal(10);
      expect(loadConfig(prod).bcryptCost).to.equal(12);
      for (const env of ['test', 'development', 'Production', '']) {
        const config = loadConfig({ NODE_ENV: env, BCRYPT_COST: '4' });
        expect(config.production, env).to.equal(false);
        expect(config.bcryptCost, env).to.equal(4);
      }
    });

    it('derives BCRYPT_QUEUE_LIMIT from BCRYPT_COST unless set, and accepts 0 to 10000', () => {
      expect(loadConfig({}).bcryptQueueLimit).to.equal(16);
      expect(loadConfig({ BCRYPT_COST: '13' }).bcryptQueueLimit).to.equal(8);
      expect(loadConfig({ BCRYPT_COST: '4' }).bcryptQueueLimit).to.equal(256);
      expect(loadConfig({ BCRYPT_QUEUE_LIMIT: '0' }).bcryptQueueLimit).to.equal(0);
      expect(loadConfig({ BCRYPT_QUEUE_LIMIT: '10000' }).bcryptQueueLimit).to.equal(10000);
      for (const limit of ['-1', '10001', '2.5', 'lots']) {
        expect(problemsOf({ BCRYPT_QUEUE_LIMIT: limit }), limit).to.deep.equal([
          `BCRYPT_QUEUE_LIMIT must be an integer from 0 to 10000 (got "${limit}")`,
        ]);
      }
    });

    it('accepts PORT from 0 to 65535 and blames only PORT for a bad one', () => {
      expect(loadConfig({ PORT: '0', ISSUER: 'http://localhost:3000' }).port).to.equal(0);
      expect(loadConfig({ PORT: '65535' }).port).to.equal(65535);
      expect(problemsOf({ PORT: '65536' })).to.deep.equal([
        'PORT must be an integer from 0 to 65535 (got "65536")',
      ]);
      expect(problemsOf({ PORT: 'http' })).to.deep.equal([
        'PORT must be an integer from 0 to 65535 (got "http")',
      ]);
    });

    it('keeps the refresh grace window within five minutes', () => {
      expect(loadConfig({ REFRESH_REUSE_GRACE_SECONDS: '300' }).refreshReuseGraceSeconds).to.equal(
        300,
      );
      expect(problemsOf({ REFRESH_REUSE_GRACE_SECONDS: '301' })).to.deep.equal([
        'REFRESH_REUSE_GRACE_SECONDS must be an integer from 0 to 300 (got "301")',
      ]);
      expect(problemsOf({ REFRESH_REUSE_GRACE_SECONDS: '-1' })).to.deep.equal([
        'REFRESH_REUSE_GRACE_SECONDS must be an integer from 0 to 300 (got "-1")',
      ]);
    });

    it('keeps the audit settings within bounds, listing every problem', () => {
      expect(
        problemsOf({ AUDIT_RETENTION_DAYS: '0', AUDIT_FLUSH_MS: '5', AUDIT_BUFFER_LIMIT: 'lots' }),
      ).to.deep.equal([
        'AUDIT_RETENTION_DAYS must be an integer from 1 to 36500 (got "0")',
        'AUDIT_FLUSH_MS must be an integer from 10 to 10000 (got "5")',
        'AUDIT_BUFFER_LIMIT must be an integer from 100 to 1000000 (got "lots")',
      ]);
    });

    it('keeps the claims cache within an hour, 0 turning it off', () => {
      expect(loadConfig({ CLAIMS_CACHE_SECONDS: '0' }).claimsCacheSeconds).to.equal(0);
      expect(problemsOf({ CLAIMS_CACHE_SECONDS: '3601' })).to.deep.equal([
        'CLAIMS_CACHE_SECONDS must be an integer from 0 to 3600 (got "3601")',
      ]);
    });

    it('caps SHUTDOWN_TIMEOUT_MS at ten minutes', () => {
      expect(problemsOf({ SHUTDOWN_TIMEOUT_MS: '600001' })).to.deep.equal([
        'SHUTDOWN_TIMEOUT_MS must be an integer from 0 to 600000 (got "600001")',
      ]);
    });
  });

  describe('names used in Postgres and Redis', () => {
    it('accepts a lowercase SQL identifier of up to 63 characters as DATABASE_SCHEMA', () => {
      expect(loadConfig({ DATABASE_SCHEMA: '_lk_test_2' }).databaseSchema).to.equal('_lk_test_2');
      const longest = `s${'x'.repeat(62)}`;
      expect(loadConfig({ DATABASE_SCHEMA: longest }).databaseSchema).to.equal(longest);
    });

    it('refuses any other DATABASE_SCHEMA', () => {
      for (const schema of [
        'Public',
        '1st',
        'my-schema',
        'a;drop',
        '"quoted"',
        `s${'x'.repeat(63)}`,
      ]) {
        expect(problemsOf({ DATABASE_SCHEMA: schema }), schema).to.deep.equal([
          'DATABASE_SCHEMA must be a lowercase SQL identifier (letters, digits, underscores)',
        ]);
      }
    });

    it('accepts REDIS_KEY_PREFIX of letters, digits and : _ . - up to 64 characters', () => {
      expect(loadConfig({ REDIS_KEY_PREFIX: 'Lk_1.a-b:' }).redisKeyPrefix).to.equal('Lk_1.a-b:');
      const longest = 'p'.repeat(64);
      expect(loadConfig({ REDIS_KEY_PREFIX: longest }).redisKeyPrefix).to.equal(longest);
    });

    it('refuses any other REDIS_KEY_PREFIX', () => {
      for (const prefix of ['lk prefix', 'lk*', 'lk{a}', 'ключ:', 'p'.repeat(65)]) {
        expect(problemsOf({ REDIS_KEY_PREFIX: prefix }), prefix).to.deep.equal([
          'REDIS_KEY_PREFIX must be 1-64 characters of letters, digits, ":", "_", ".", "-"',
        ]);
      }
    });
  });

  describe('URLs of the stores', () => {
    it('refuses a DATABASE_URL that is not postgres', () => {
      expect(problemsOf({ DATABASE_URL: 'mysql://db/latchkey' })).to.deep.equal([
        'DATABASE_URL must be a postgres: or postgresql: URL',
      ]);
    });

    it('refuses a DATABASE_READ_URL that is not postgres, and reads none when it is unset', () => {
      expect(problemsOf({ DATABASE_READ_URL: 'db-replica.internal:5432' })).to.deep.equal([
        'DATABASE_READ_URL must be a postgres: or postgresql: URL',
      ]);
      expect(loadConfig({ DATABASE_READ_URL: ' ' }).databaseReadUrl).to.equal(undefined);
    });

    it('refuses a REDIS_URL that is not redis', () => {
      expect(problemsOf({ REDIS_URL: 'cache.internal:6379' })).to.deep.equal([
        'REDIS_URL must be a redis: or rediss: URL',
      ]);
    });

    it('reads a Redis Cluster from several seeds, the first one giving credentials and TLS', () => {
      expect(
        loadConfig({ REDIS_URL: 'rediss://:s%40cret@a.internal:7000, rediss://b.internal:7001' })
          .redisTarget,
      ).to.deep.equal({
        kind: 'cluster',
        seeds: [
          { host: 'a.internal', port: 7000 },
          { host: 'b.internal', port: 7001 },
        ],
        username: undefined,
        password: 's@cret',
        tls: true,
      });
    });

    it('reads a Redis Cluster from one seed with REDIS_CLUSTER=true', () => {
      expect(
        loadConfig({ REDIS_URL: 'redis://cache.internal', REDIS_CLUSTER: 'true' }).redisTarget,
      ).to.deep.include({ kind: 'cluster', seeds: [{ host: 'cache.internal', port: 6379 }] });
    });

    it('reads a primary found through Sentinel', () => {
      expect(
        loadConfig({
          REDIS_URL:
            'redis+sentinel://app:pw@s1.internal:26379,s2.internal,[::1]:26380/mymaster/2?sentinelPassword=sp',
        }).redisTarget,
      ).to.deep.equal({
        kind: 'sentinel',
        sentinels: [
          { host: 's1.internal', port: 26379 },
          { host: 's2.internal', port: 26379 },
          { host: '::1', port: 26380 },
        ],
        name: 'mymaster',
        username: 'app',
        password: 'pw',
        sentinelPassword: 'sp',
        db: 2,
        tls: false,
      });
    });

    it('refuses a cluster or Sentinel REDIS_URL it cannot use, saying why', () => {
      expect(problemsOf({ REDIS_URL: 'redis://a:7000,http://b:7001' })).to.deep.equal([
        'every seed of a cluster REDIS_URL must be a redis: or rediss: URL',
      ]);
      expect(problemsOf({ REDIS_URL: 'redis://a:7000/1,redis://b:7001' })).to.deep.equal([
        'REDIS_URL names a database number, which a Redis Cluster does not have',
      ]);
      expect(problemsOf({ REDIS_URL: 'redis+sentinel://s1:26379' })).to.have.length(1);
      expect(problemsOf({ REDIS_URL: 'redis+sentinel://s1:26379/my master' })).to.have.length(1);
      expect(
        problemsOf({ REDIS_URL: 'redis+sentinel://s1:26379/mymaster', REDIS_CLUSTER: 'true' }),
      ).to.deep.equal(['REDIS_CLUSTER cannot be true with a Sentinel REDIS_URL']);
    });
  });

  describe('LOG_LEVEL', () => {
    it('accepts every pino level and silent', () => {
      for (const level of ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']) {
        expect(loadConfig({ LOG_LEVEL: level }).logLevel).to.equal(level);
      }
    });

    it('refuses anything else', () => {
      for (const level of ['verbose', 'warning', 'INFO']) {
        expect(problemsOf({ LOG_LEVEL: level }), level).to.deep.equal([
          'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent',
        ]);
      }
    });
  });

  describe('COOKIE_KEYS', () => {
    it('keeps keys of at least 32 characters, newest first', () => {
      expect(loadConfig({ COOKIE_KEYS: `${OTHER_KEY},${GOOD_KEY}` }).cookieKeys).to.deep.equal([
        OTHER_KEY,
        GOOD_KEY,
      ]);
    });

    it('names every key that is too short by its position', () => {
      expect(problemsOf({ COOKIE_KEYS: `short,${GOOD_KEY},${'x'.repeat(31)}` })).to.deep.equal([
        'COOKIE_KEYS entry 1 must be at least 32 characters long',
        'COOKIE_KEYS entry 3 must be at least 32 characters long',
      ]);
    });

    it('refuses a list made only of commas', () => {
      expect(problemsOf({ COOKIE_KEYS: ' , ,' })).to.deep.equal([
        'COOKIE_KEYS must list at least one key',
      ]);
    });
  });

  describe('TRUST_PROXY_HOPS', () => {
    it('is 1 behind a proxy and 0 otherwise when unset', () => {
      expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxyHops).to.equal(1);
      expect(loadConfig({}).trustProxyHops).to.equal(0);
    });

    it('counts the proxies that append to X-Forwarded-For', () => {
      expect(loadConfig({ TRUST_PROXY: 'true', TRUST_PROXY_HOPS: '3' }).trustProxyHops).to.equal(3);
    });

    it('refuses anything but a whole number from 1 to 10', () => {
      for (const hops of ['0', '11', '-1', '1.5', 'two']) {
        expect(problemsOf({ TRUST_PROXY: 'true', TRUST_PROXY_HOPS: hops }), hops).to.deep.equal([
          `TRUST_PROXY_HOPS must be an integer from 1 to 10 (got "${hops}")`,
        ]);
      }
    });

    it('is refused without TRUST_PROXY, which it would silently not apply', () => {
      expect(problemsOf({ TRUST_PROXY_HOPS: '2' })).to.deep.equal([
        'TRUST_PROXY_HOPS is set but TRUST_PROXY is false',
      ]);
    });
  });

  describe('mail and sign-up', () => {
    const kek = `k1:${Buffer.alloc(32, 9).toString('base64')}`;
    const production = { NODE_ENV: 'production', KEY_ENCRYPTION_KEYS: kek };
    const REQUIRED =
      'SMTP_URL is required when NODE_ENV is production and sign-up is open: new accounts must be sent mail. Set it to your mail relay (e.g. smtps://user:password@smtp.example.com:465), or set SIGN_UP_ENABLED=false';

    it('refuses production without SMTP_URL while sign-up is open, naming SIGN_UP_ENABLED=false', () => {
      expect(problemsOf(production)).to.deep.equal([REQUIRED]);
      expect(problemsOf({ ...production, SIGN_UP_ENABLED: 'true' })).to.deep.equal([REQUIRED]);
    });

    it('accepts production without SMTP_URL when sign-up is closed, and with a relay', () => {
      const closed = loadConfig({ ...production, SIGN_UP_ENABLED: 'false' });
      expect(closed.signUpEnabled).to.equal(false);
      expect(closed.mail.smtpUrl).to.equal(undefined);
      expect(loadConfig({ ...production, SMTP_URL: RELAY }).mail.smtpUrl).to.equal(RELAY);
    });

    it('needs no relay outside production', () => {
      expect(loadConfig({ NODE_ENV: 'test' }).mail.smtpUrl).to.equal(undefined);
    });

    it('accepts smtp:// and smtps:// relays, with or without credentials', () => {
      for (const url of [
        'smtp://127.0.0.1:1025',
        'smtp://mail:1025',
        'smtps://user:p%40ss@smtp.example.com:465',
        'smtp://apikey:secret@smtp.example.com:587',
      ]) {
        expect(loadConfig({ SMTP_URL: url }).mail.smtpUrl, url).to.equal(url);
      }
    });

    it('refuses any other SMTP_URL without repeating it, since it may hold a password', () => {
      for (const url of [
        'http://user:hunter2@smtp.example.com',
        'smtp.example.com:587',
        'smtp://',
        'imap://user:hunter2@mail.example.com',
      ]) {
        const problems = problemsOf({ SMTP_URL: url });
        expect(problems, url).to.deep.equal([
          'SMTP_URL must be an smtp:// or smtps:// URL with a host, e.g. smtps://user:password@smtp.example.com:465',
        ]);
        expect(problems.join(' '), url).not.to.include('hunter2');
      }
    });

    it('sends from "<product>" <no-reply@<issuer host>> unless MAIL_FROM says otherwise', () => {
      expect(loadConfig({}).mail.from).to.equal('"Latchkey" <no-reply@localhost>');
      const branded = loadConfig({
        ISSUER: 'https://ID.Example.com/tenant',
        TRUST_PROXY: 'true',
        BRAND_PRODUCT_NAME: 'Acme "Blue" ID',
      });
      expect(branded.mail.from).to.equal('"Acme \\"Blue\\" ID" <no-reply@id.example.com>');
      expect(loadConfig({ ISSUER: 'http://127.0.0.1:3000' }).mail.from).to.equal(
        '"Latchkey" <no-reply@127.0.0.1>',
      );
    });

    it('accepts MAIL_FROM as an address or "Name" <address>', () => {
      for (const from of [
        'no-reply@example.com',
        '"Example" <no-reply@example.com>',
        'Example ID <id+mail@mail.example.com>',
        '"Ex \\"quoted\\" name" <a@b.example>',
      ]) {
        expect(loadConfig({ MAIL_FROM: from }).mail.from, from).to.equal(from);
      }
    });

    it('refuses any other MAIL_FROM', () => {
      for (const from of [
        'no-reply',
        'Example <no-reply>',
        '"Example" no-reply@example.com',
        'a@b.example, c@d.example',
        '"Unclosed <a@b.example>',
        'Example <a@b.example>\r\nBcc: c@d.example',
      ]) {
        expect(problemsOf({ MAIL_FROM: from }), from).to.deep.equal([
          `MAIL_FROM must be an address or "Name" <address> (got "${from.trim()}")`,
        ]);
      }
    });

    it('keeps MAIL_QUEUE_LIMIT from 1 to 100000', () => {
      expect(loadConfig({ MAIL_QUEUE_LIMIT: '1' }).mail.queueLimit).to.equal(1);
      for (const limit of ['0', '100001', 'many']) {
        expect(problemsOf({ MAIL_QUEUE_LIMIT: limit }), limit).to.deep.equal([
          `MAIL_QUEUE_LIMIT must be an integer from 1 to 100000 (got "${limit}")`,
        ]);
      }
    });

    it('reads SIGN_UP_ENABLED as a boolean, true by default', () => {
      expect(loadConfig({}).signUpEnabled).to.equal(true);
      expect(loadConfig({ SIGN_UP_ENABLED: 'off' }).signUpEnabled).to.equal(false);
      expect(problemsOf({ SIGN_UP_ENABLED: 'sometimes' })).to.deep.equal([
        'SIGN_UP_ENABLED must be true or false (got "sometimes")',
      ]);
    });
  });

  describe('booleans', () => {
    it('refuses words that are not true or false', () => {
      expect(problemsOf({ TRUST_PROXY: 'maybe' })).to.deep.equal([
        'TRUST_PROXY must be true or false (got "maybe")',
      ]);
    });
  });

  describe('with several mistakes', () => {
    const env: Env = {
      ISSUER: 'https://id.example.com?x=1',
      PORT: '99999',
      DATABASE_SCHEMA: 'Bad-Schema',
      REDIS_KEY_PREFIX: 'has space',
      LOG_LEVEL: 'loud',
      COOKIE_KEYS: 'tiny',
      BCRYPT_COST: '31',
      MIGRATE_ON_BOOT: 'sometimes',
    };

    it('reports all of them in one ConfigError', () => {
      expect(problemsOf(env)).to.have.members([
        'ISSUER must not have a query or fragment',
        HTTPS_WITHOUT_PROXY,
        'PORT must be an integer from 0 to 65535 (got "99999")',
        'DATABASE_SCHEMA must be a lowercase SQL identifier (letters, digits, underscores)',
        'REDIS_KEY_PREFIX must be 1-64 characters of letters, digits, ":", "_", ".", "-"',
        'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent',
        'COOKIE_KEYS entry 1 must be at least 32 characters long',
        'BCRYPT_COST must be an integer from 4 to 16 (got "31")',
        'MIGRATE_ON_BOOT must be true or false (got "sometimes")',
      ]);
    });

    it('lists every problem on its own line of the message', () => {
      let error: unknown;
      try {
        loadConfig(env);
      } catch (caught) {
        error = caught;
      }
      expect(error).to.be.instanceOf(ConfigError);
      const { message, name, problems } = error as ConfigError;
      expect(name).to.equal('ConfigError');
      expect(problems).to.have.length(9);
      expect(message).to.equal(`Invalid config:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
      expect(message.split('\n')).to.have.length(10);
    });
  });

  describe('upstream providers', () => {
    const google = { GOOGLE_CLIENT_ID: 'g-id', GOOGLE_CLIENT_SECRET: 'g-secret' };
    const facebook = { FACEBOOK_CLIENT_ID: 'fb-id', FACEBOOK_CLIENT_SECRET: 'fb-secret' };
    const x = { X_CLIENT_ID: 'x-id', X_CLIENT_SECRET: 'x-secret' };

    it('are all off when no credentials are set', () => {
      expect(loadConfig({}).upstreams).to.deep.equal({});
    });

    it('are on with the real endpoints when both id and secret are set', () => {
      expect(loadConfig({ ...google, ...facebook, ...x }).upstreams).to.deep.equal({
        google: {
          clientId: 'g-id',
          clientSecret: 'g-secret',
          issuer: 'https://accounts.google.com',
          hostedDomain: undefined,
        },
        facebook: {
          clientId: 'fb-id',
          clientSecret: 'fb-secret',
          authorizationEndpoint: 'https://www.facebook.com/v23.0/dialog/oauth',
          tokenEndpoint: 'https://graph.facebook.com/v23.0/oauth/access_token',
          graphUrl: 'https://graph.facebook.com/v23.0',
        },
        x: {
          clientId: 'x-id',
          clientSecret: 'x-secret',
          authorizationEndpoint: 'https://x.com/i/oauth2/authorize',
          tokenEndpoint: 'https://api.x.com/2/oauth2/token',
          apiUrl: 'https://api.x.com/2',
          requestEmail: false,
        },
      });
    });

    it('need both halves of the registration', () => {
      expect(
        problemsOf({ GOOGLE_CLIENT_ID: 'g', FACEBOOK_CLIENT_SECRET: 's', X_CLIENT_ID: 'x' }),
      ).to.deep.equal([
        'GOOGLE_CLIENT_ID is set without GOOGLE_CLIENT_SECRET',
        'FACEBOOK_CLIENT_SECRET is set without FACEBOOK_CLIENT_ID',
        'X_CLIENT_ID is set without X_CLIENT_SECRET',
      ]);
    });

    it('accept overridden endpoints over plain http only on loopback hosts', () => {
      const local = loadConfig({ ...google, GOOGLE_ISSUER: 'http://127.0.0.1:4101/' });
      expect(local.upstreams.google?.issuer).to.equal('http://127.0.0.1:4101');
      expect(
        problemsOf({ ...x, X_TOKEN_ENDPOINT: 'http://api.x.example/2/oauth2/token' }),
      ).to.deep.equal([
        'X_TOKEN_ENDPOINT must use https (plain http is accepted only for loopback hosts)',
      ]);
      expect(problemsOf({ ...google, GOOGLE_ISSUER: 'ftp://accounts.google.com' })).to.deep.equal([
        'GOOGLE_ISSUER must be an absolute https URL',
      ]);
    });

    it('insist on a pinned Graph API version for Facebook', () => {
      expect(
        problemsOf({ ...facebook, FACEBOOK_GRAPH_URL: 'https://graph.facebook.com' }),
      ).to.deep.equal(['FACEBOOK_GRAPH_URL must name a Graph API version, e.g. .../v23.0/...']);
    });

    it('accept plain http on other hosts only when ALLOW_INSECURE_UPSTREAMS=true', () => {
      const env = { ...x, X_API_URL: 'http://fakes:4103/2', ALLOW_INSECURE_UPSTREAMS: 'true' };
      expect(loadConfig(env).upstreams.x?.apiUrl).to.equal('http://fakes:4103/2');
    });

    it('wait for upstream answers between 500 ms and one minute', () => {
      expect(loadConfig({ UPSTREAM_TIMEOUT_MS: '2500' }).upstreamTimeoutMs).to.equal(2500);
      expect(problemsOf({ UPSTREAM_TIMEOUT_MS: '100' })).to.deep.equal([
        'UPSTREAM_TIMEOUT_MS must be an integer from 500 to 60000 (got "100")',
      ]);
    });

    it('check the Google Workspace domain', () => {
      expect(
        loadConfig({ ...google, GOOGLE_HOSTED_DOMAIN: 'Example.COM' }).upstreams.google
          ?.hostedDomain,
      ).to.equal('example.com');
      expect(problemsOf({ ...google, GOOGLE_HOSTED_DOMAIN: 'not a domain' })).to.deep.equal([
        'GOOGLE_HOSTED_DOMAIN must be a domain name such as example.com',
      ]);
    });
  });

  describe('RECENT_SIGN_IN_SECONDS', () => {
    it('asks for a sign-in within 5 minutes by default, settable from 30 s to one hour', () => {
      expect(loadConfig({}).recentSignInSeconds).to.equal(300);
      expect(loadConfig({ RECENT_SIGN_IN_SECONDS: '600' }).recentSignInSeconds).to.equal(600);
      expect(problemsOf({ RECENT_SIGN_IN_SECONDS: '5' })).to.deep.equal([
        'RECENT_SIGN_IN_SECONDS must be an integer from 30 to 3600 (got "5")',
      ]);
      expect(problemsOf({ RECENT_SIGN_IN_SECONDS: '86400' })).to.have.length(1);
    });
  });

  describe('BACKCHANNEL_ALLOW_PRIVATE_NETWORK', () => {
    it('keeps logout tokens away from private addresses unless explicitly allowed', () => {
      expect(loadConfig({}).backchannelAllowPrivateNetwork).to.equal(false);
      const allowed = loadConfig({ BACKCHANNEL_ALLOW_PRIVATE_NETWORK: 'true' });
      expect(allowed.backchannelAllowPrivateNetwork).to.equal(true);
      expect(problemsOf({ BACKCHANNEL_ALLOW_PRIVATE_NETWORK: 'maybe' })).to.have.length(1);
    });
  });

  describe('KEY_ENCRYPTION_KEYS', () => {
    const key = (fill: number) => Buffer.alloc(32, fill);
    const b64 = (fill: number) => key(fill).toString('base64');

    it('reads id:base64 entries, newest first, and never shows the key bytes', () => {
      const config = loadConfig({
        KEY_ENCRYPTION_KEYS: `2026-12:${b64(1)}, 2026-06:${key(2).toString('base64url')}`,
      });
      expect(config.keyEncryptionKeys.map((k) => k.id)).to.deep.equal(['2026-12', '2026-06']);
      expect(config.keyEncryptionKeys[0]?.key.equals(key(1))).to.equal(true);
      expect(config.keyEncryptionKeys[1]?.key.equals(key(2))).to.equal(true);
      const printed = `${JSON.stringify(config)} ${String(Object.keys(config.keyEncryptionKeys[0] ?? {}))}`;
      expect(printed).not.to.include(b64(1));
      expect(printed).not.to.include(key(1).toString('hex'));
    });

    it('is optional in development and required when NODE_ENV=production', () => {
      expect(loadConfig({}).keyEncryptionKeys).to.deep.equal([]);
      expect(
        loadConfig({ NODE_ENV: 'production', KEY_ENCRYPTION_KEYS: `k1:${b64(3)}`, SMTP_URL: RELAY })
          .production,
      ).to.equal(true);
      const [problem] = problemsOf({ NODE_ENV: 'production', SMTP_URL: RELAY });
      expect(problem).to.include('KEY_ENCRYPTION_KEYS is required when NODE_ENV=production');
      expect(problem).to.include('openssl rand -base64 32');
    });

    it('refuses keys of the wrong length, text that is not base64, bad and repeated ids, all at once', () => {
      const short = Buffer.alloc(16, 4).toString('base64');
      const problems = problemsOf({
        KEY_ENCRYPTION_KEYS: `a:${short},b:not*base64,c:${b64(5)},c:${b64(6)},${b64(7)},bad id:${b64(8)}`,
      });
      expect(problems).to.deep.equal([
        'KEY_ENCRYPTION_KEYS entry 1 ("a") must hold exactly 32 bytes in base64 (got 16 bytes)',
        'KEY_ENCRYPTION_KEYS entry 2 ("b") must hold exactly 32 bytes in base64 (got text that is not base64)',
        'KEY_ENCRYPTION_KEYS entry 4 repeats the id "c": every key needs its own id',
        'KEY_ENCRYPTION_KEYS entry 5 must be "id:base64-key" with an id of 1-32 letters, digits, ".", "_" or "-" (e.g. KEY_ENCRYPTION_KEYS="k1:$(openssl rand -base64 32)")',
        'KEY_ENCRYPTION_KEYS entry 6 must be "id:base64-key" with an id of 1-32 letters, digits, ".", "_" or "-" (e.g. KEY_ENCRYPTION_KEYS="k1:$(openssl rand -base64 32)")',
      ]);
      for (const problem of problems) expect(problem).not.to.include(b64(5));
      expect(
        problemsOf({ KEY_ENCRYPTION_KEYS: `k:${Buffer.alloc(33).toString('base64')}` }),
      ).to.have.length(1);
    });
  });

  describe('metrics', () => {
    it('are off unless METRICS_PORT or METRICS_TOKEN is set, and listen on loopback', () => {
      expect(loadConfig({}).metrics).to.deep.equal({
        port: undefined,
        host: '127.0.0.1',
        token: undefined,
      });
      expect(loadConfig({ METRICS_PORT: '9464' }).metrics).to.deep.equal({
        port: 9464,
        host: '127.0.0.1',
        token: undefined,
      });
    });

    it('refuse a bad port, the main port, a bad host and a short token, without echoing it', () => {
      const problems = problemsOf({
        PORT: '3000',
        METRICS_PORT: '3000',
        METRICS_TOKEN: 'short-secret',
      });
      expect(problems).to.include('METRICS_PORT must differ from PORT (both are 3000)');
      expect(problems).to.include(
        'METRICS_TOKEN must be at least 32 characters without spaces (make one with: openssl rand -hex 32)',
      );
      expect(problems.join('\n')).not.to.include('short-secret');
      expect(problemsOf({ METRICS_PORT: '70000' })).to.deep.equal([
        'METRICS_PORT must be an integer from 1 to 65535 (got "70000")',
      ]);
      expect(problemsOf({ METRICS_PORT: '9464', METRICS_HOST: 'a host' })).to.deep.equal([
        'METRICS_HOST must be an address or host name to listen on, e.g. 0.0.0.0',
      ]);
      expect(problemsOf({ METRICS_TOKEN: `${'a'.repeat(20)} ${'b'.repeat(20)}` })).to.have.length(
        1,
      );
    });
  });

  describe('tracing', () => {
    it('is off without OTEL_EXPORTER_OTLP_ENDPOINT and named latchkey by default', () => {
      expect(loadConfig({ OTEL_SERVICE_NAME: 'x' }).tracing).to.equal(undefined);
      expect(
        loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'https://otlp.example.com/otlp' }).tracing,
      ).to.deep.equal({ endpoint: 'https://otlp.example.com/otlp', serviceName: 'latchkey' });
    });

    it('refuses an endpoint that is not an http(s) URL and a protocol other than http/json', () => {
      expect(
        problemsOf({
          OTEL_EXPORTER_OTLP_ENDPOINT: 'grpc://collector:4317',
          OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
        }),
      ).to.deep.equal([
        'OTEL_EXPORTER_OTLP_PROTOCOL must be http/json, the only protocol Latchkey exports with (got "grpc")',
        'OTEL_EXPORTER_OTLP_ENDPOINT must be an http(s) URL without query, e.g. http://otel-collector:4318',
      ]);
    });
  });

  describe('the returned configuration', () => {
    it('is frozen, so no part of the program can change a setting', () => {
      const config = loadConfig({});
      expect(Object.isFrozen(config)).to.equal(true);
      expect(() => {
        (config as { port: number }).port = 1;
      }).to.throw(TypeError);
      expect(config.port).to.equal(3000);
    });
  });
});
