// Operator commands: migrations, accounts, the configured clients, signing-key rotation and
// re-encryption of stored keys under a new key-encryption key.
import { createInterface } from 'node:readline';
import { type ParseArgsOptionsConfig, parseArgs } from 'node:util';
import type { DataSource } from 'typeorm';
import type { Profile } from './accounts/account.ts';
import { AccountService } from './accounts/account-service.ts';
import { AccountNotFound, DomainError, EmailTaken, InvalidInput } from './accounts/errors.ts';
import { type AttemptCounter, LoginThrottle } from './accounts/login-throttle.ts';
import { PasswordHasher } from './accounts/passwords.ts';
import { type Config, ConfigError, loadConfig } from './config.ts';
import { createDataSource } from './db/data-source.ts';
import { ensureDatabase, migrate } from './db/migrate.ts';
import { KeyRing, StoredKeysUnreadable } from './keys/key-encryption.ts';
import { type KeyInfo, SigningKeyStore } from './keys/signing-keys.ts';
import { rewrapSecrets, type WrapCounts } from './keys/stored-secrets.ts';
import { describeUrl } from './net.ts';
import { ClientsFileError, loadClients } from './oidc/clients.ts';

const EXIT_OK = 0;
const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;
const EXIT_INTERRUPTED = 130;
/** EX_CONFIG from sysexits.h: the environment or the clients file is wrong. */
const EXIT_CONFIG = 78;

const DEFAULT_PRUNE_DAYS = 7;
const SECONDS_PER_DAY = 86_400;

/** The command line is wrong: explained, followed by the usage, exit 2. */
class UsageError extends Error {}

/** An expected failure, explained in one line: exit 1. */
class CommandFailed extends Error {}

/** Ctrl-C or Ctrl-D at a password prompt. */
class Interrupted extends Error {}

interface Command {
  /** One line: the command and its options. */
  usage: string;
  summary: string;
  /** Checks the options (before any configuration is read) and returns the work to do. */
  parse(args: string[]): (config: Config) => Promise<void>;
}

// The CLI never throttles; AccountService only needs a counter to exist.
const uncounted: AttemptCounter = {
  take: () => Promise.resolve({ counted: true }),
  giveBack: () => Promise.resolve(),
  reset: () => Promise.resolve(),
};

function say(text = ''): void {
  process.stdout.write(`${text}\n`);
}

function options<T extends ParseArgsOptionsConfig>(args: string[], spec: T) {
  return parseArgs({ args, options: spec, strict: true, allowPositionals: false }).values;
}

function required(value: string | undefined, flag: string): string {
  if (value === undefined) throw new UsageError(`${flag} is required.`);
  return value;
}

/** Where the database is, without credentials. */
function describeDatabase(config: Config): string {
  return `${describeUrl(config.databaseUrl)} (schema ${config.databaseSchema})`;
}

async function pendingMigrations(db: DataSource): Promise<string[]> {
  const known = db.migrations.map((m) => m.name ?? m.constructor.name);
  const [table] = await db.query(
    "SELECT to_regclass('latchkey_migrations') IS NOT NULL AS present",
  );
  if (!table?.present) return known;
  const applied: { name: string }[] = await db.query('SELECT name FROM latchkey_migrations');
  const done = new Set(applied.map((row) => row.name));
  return known.filter((name) => !done.has(name));
}

/** Runs a step that talks to Postgres, naming the database when it cannot be reached. */
async function reaching<T>(config: Config, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (!isOperational(error)) throw error;
    throw new CommandFailed(
      `Cannot use Postgres at ${describeDatabase(config)}: ${errorMessage(error)}`,
    );
  }
}

/** Opens Postgres for one command and always closes it; refuses a schema that is not up to date. */
async function withDatabase<T>(
  config: Config,
  work: (db: DataSource) => Promise<T>,
  options: { migrating?: boolean } = {},
): Promise<T> {
  if (options.migrating) await reaching(config, () => ensureDatabase(config.databaseUrl));
  const db = createDataSource(config, { poolSize: 2 });
  try {
    await reaching(config, () => db.initialize());
    if (options.migrating) return await work(db);
    const pending = await pendingMigrations(db);
    if (pending.length > 0) {
      throw new CommandFailed(
        `${describeDatabase(config)} has migrations to apply (${pending.join(', ')}); run the migrate command first.`,
      );
    }
    return await work(db);
  } finally {
    if (db.isInitialized) await db.destroy();
  }
}

function accountService(db: DataSource, config: Config): AccountService {
  return new AccountService({
    dataSource: db,
    hasher: new PasswordHasher(config.bcryptCost),
    throttle: new LoginThrottle(uncounted),
  });
}

/** Reads one line from the terminal without echoing it. */
function promptHidden(prompt: string): Promise<string> {
  const input = process.stdin;
  process.stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let typed = '';
    // Arrow and function keys send escape sequences (ESC [ ... final letter); they are skipped.
    let escapeState: 'none' | 'started' | 'csi' = 'none';
    const finish = () => {
      input.off('data', onData);
      input.setRawMode(false);
      input.pause();
      process.stderr.write('\n');
    };
    const onData = (chunk: string) => {
      for (const char of chunk) {
        if (escapeState === 'started') {
          escapeState = char === '[' || char === 'O' ? 'csi' : 'none';
          continue;
        }
        if (escapeState === 'csi') {
          if (char >= '@' && char <= '~') escapeState = 'none';
          continue;
        }
        if (char === '\r' || char === '\n') {
          finish();
          resolve(typed);
          return;
        }
        if (char === '\u0003' || (char === '\u0004' && typed === '')) {
          finish();
          reject(new Interrupted());
          return;
        }
        if (char === '\u001b') escapeState = 'started';
        else if (char === '\u007f' || char === '\b') typed = [...typed].slice(0, -1).join('');
        else if (char === '\u0015') typed = '';
        else if (char >= ' ') typed += char;
      }
    };
    input.setEncoding('utf8');
    input.setRawMode(true);
    input.on('data', onData);
    input.resume();
  });
}

async function readFirstLine(): Promise<string | undefined> {
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity, terminal: false });
  for await (const line of lines) return line;
  return undefined;
}

type PasswordSource = 'stdin' | 'prompt';

/**
 * Where the new password will come from: a terminal on stdin is always prompted (even with
 * --password-stdin, so the password is never echoed); otherwise stdin needs --password-stdin.
 */
function passwordSource(fromStdin: boolean): PasswordSource {
  if (process.stdin.isTTY) return 'prompt';
  if (fromStdin) return 'stdin';
  throw new UsageError(
    'No password given: pipe it with --password-stdin, run the command in a terminal to be prompted, or pass --no-password (accounts:create only).',
  );
}

/** The first line of stdin, or the password typed twice at a hidden prompt. */
async function readNewPassword(source: PasswordSource): Promise<string> {
  if (source === 'prompt') {
    const first = await promptHidden('New password: ');
    const second = await promptHidden('Repeat the password: ');
    if (first !== second) throw new CommandFailed('The two passwords do not match.');
    return first;
  }
  const line = await readFirstLine();
  if (line === undefined || line === '') {
    throw new CommandFailed('--password-stdin: stdin held no password.');
  }
  return line;
}

function formatDate(date: Date | null): string {
  return date ? `${date.toISOString().slice(0, 19)}Z` : '-';
}

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((title, i) =>
    Math.max(title.length, ...rows.map((row) => (row[i] ?? '').length)),
  );
  return [header, ...rows].map((row) =>
    row
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd(),
  );
}

const RESTART_REMINDER =
  'Running instances load signing keys only at startup: do a rolling restart of every instance to pick up this change.';
const RETIRED_REMINDER =
  'Retired keys stay published in the JWKS, so tokens they signed still verify, until removed with keys:prune.';

const migrateCommand: Command = {
  usage: 'migrate',
  summary: 'create the database if missing, apply migrations',
  parse(args) {
    options(args, {});
    return (config) =>
      withDatabase(
        config,
        async (db) => {
          const { applied } = await migrate(db, config.databaseSchema);
          if (applied.length === 0) {
            say(`${describeDatabase(config)} is up to date; no migrations to apply.`);
          } else {
            say(`Applied ${applied.length} migration(s) to ${describeDatabase(config)}:`);
            for (const name of applied) say(`  ${name}`);
          }
        },
        { migrating: true },
      );
  },
};

const createAccountCommand: Command = {
  usage: 'accounts:create --email E --name N [--verified] [--password-stdin | --no-password]',
  summary: 'create an account, print its id (OIDC sub)',
  parse(args) {
    const values = options(args, {
      email: { type: 'string' },
      name: { type: 'string' },
      verified: { type: 'boolean' },
      'password-stdin': { type: 'boolean' },
      'no-password': { type: 'boolean' },
    });
    const email = required(values.email, '--email');
    const name = required(values.name, '--name');
    const fromStdin = values['password-stdin'] === true;
    const withoutPassword = values['no-password'] === true;
    if (fromStdin && withoutPassword) {
      throw new UsageError('--password-stdin and --no-password cannot be used together.');
    }
    const emailVerified = values.verified === true;
    const source = withoutPassword ? undefined : passwordSource(fromStdin);
    return (config) =>
      withDatabase(config, async (db) => {
        const password = source === undefined ? undefined : await readNewPassword(source);
        let profile: Profile;
        try {
          profile = await accountService(db, config).createAccount({
            email,
            name,
            emailVerified,
            ...(password === undefined ? {} : { password }),
          });
        } catch (error) {
          if (error instanceof EmailTaken) {
            throw new CommandFailed(`An account with the email ${email.trim()} already exists.`);
          }
          throw error;
        }
        say('Account created.');
        say(`  id (OIDC sub): ${profile.id}`);
        say(`  email:         ${profile.email} (${profile.emailVerified ? '' : 'not '}verified)`);
        say(`  name:          ${profile.name}`);
        say(`  password:      ${password === undefined ? 'none' : 'set'}`);
      });
  },
};

const setPasswordCommand: Command = {
  usage: 'accounts:set-password --email E [--password-stdin]',
  summary: "replace an account's password",
  parse(args) {
    const values = options(args, {
      email: { type: 'string' },
      'password-stdin': { type: 'boolean' },
    });
    const email = required(values.email, '--email');
    const source = passwordSource(values['password-stdin'] === true);
    return (config) =>
      withDatabase(config, async (db) => {
        const accounts = accountService(db, config);
        // Looked up before asking, so nobody types a password for an address that has no account.
        const account = await accounts.findAccountByEmail(email);
        if (!account) throw new CommandFailed(`No account has the email ${email.trim()}.`);
        await accounts.setPassword(account.id, await readNewPassword(source));
        say(`Password set for ${account.email} (${account.id}).`);
      });
  },
};

const listClientsCommand: Command = {
  usage: 'clients:list',
  summary: 'list the clients in CLIENTS_FILE (no secrets)',
  parse(args) {
    options(args, {});
    return async (config) => {
      if (config.clientsFile === undefined) {
        say('CLIENTS_FILE is not set: no clients are configured.');
        return;
      }
      const clients = await loadClients(config.clientsFile);
      say(`${clients.length} client(s) in ${config.clientsFile}`);
      for (const client of clients) {
        const method = client.token_endpoint_auth_method ?? 'client_secret_basic';
        say();
        say(client.client_id);
        say(`  name:          ${client.client_name ?? '-'}`);
        say(`  type:          ${method === 'none' ? 'public' : `confidential (${method})`}`);
        say(`  first party:   ${client.first_party === true ? 'yes' : 'no'}`);
        say(`  redirect URIs: ${(client.redirect_uris ?? []).join(', ')}`);
        if (client.post_logout_redirect_uris?.length) {
          say(`  after logout:  ${client.post_logout_redirect_uris.join(', ')}`);
        }
      }
    };
  },
};

function keyLines(keys: readonly KeyInfo[]): string[] {
  return keys.map((key) => `  ${key.alg.padEnd(6)} ${key.kid}`);
}

/** The signing-key store, sealing new keys under the newest key-encryption key when one is set. */
function keyStore(db: DataSource, config: Config): SigningKeyStore {
  const ring = new KeyRing(config.keyEncryptionKeys);
  if (!ring.enabled) {
    process.stderr.write(
      'warning: KEY_ENCRYPTION_KEYS is not set: keys created now are stored in plain text (development only).\n',
    );
  }
  return new SigningKeyStore(db, ring);
}

const listKeysCommand: Command = {
  usage: 'keys:list',
  summary: 'list signing keys (no private material)',
  parse(args) {
    options(args, {});
    return (config) =>
      withDatabase(config, async (db) => {
        const keys = await new SigningKeyStore(db, new KeyRing(config.keyEncryptionKeys)).list();
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
        for (const line of table(
          ['KID', 'ALG', 'STATUS', 'CREATED', 'ACTIVATED', 'RETIRED', 'AT REST'],
          rows,
        )) {
          say(line);
        }
        say();
        say(
          'active: signs tokens; next: published, signs after keys:rotate; retired: published until keys:prune.',
        );
      });
  },
};

const stageKeysCommand: Command = {
  usage: 'keys:stage',
  summary: 'publish new keys without signing with them',
  parse(args) {
    options(args, {});
    return (config) =>
      withDatabase(config, async (db) => {
        const store = keyStore(db, config);
        const replaced = (await store.list()).filter((key) => key.status === 'next');
        const staged = await store.stage();
        say('Staged new signing keys (published, not used for signing yet):');
        for (const line of keyLines(staged)) say(line);
        if (replaced.length > 0) {
          say('Replaced the keys staged before:');
          for (const line of keyLines(replaced)) say(line);
        }
        say();
        say(RESTART_REMINDER);
        say(
          'Once every instance publishes the staged keys and relying parties have refreshed their cached JWKS, run keys:rotate.',
        );
        say(RETIRED_REMINDER);
      });
  },
};

const rotateKeysCommand: Command = {
  usage: 'keys:rotate',
  summary: 'sign with the staged (or new) keys, retire old',
  parse(args) {
    options(args, {});
    return (config) =>
      withDatabase(config, async (db) => {
        const store = keyStore(db, config);
        const before = await store.list();
        const active = await store.rotate();
        const retired = before.filter((key) => key.status === 'active');
        const wasStaged = new Set(before.filter((k) => k.status === 'next').map((k) => k.kid));
        say('Now signing with:');
        for (const key of active) {
          say(`  ${key.alg.padEnd(6)} ${key.kid}${wasStaged.has(key.kid) ? '' : ' (new)'}`);
        }
        if (retired.length > 0) {
          say('Retired:');
          for (const line of keyLines(retired)) say(line);
        }
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
      });
  },
};

const pruneKeysCommand: Command = {
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
        const removed = await new SigningKeyStore(db, new KeyRing(config.keyEncryptionKeys)).prune(
          days * SECONDS_PER_DAY,
        );
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

const rewrapKeysCommand: Command = {
  usage: 'keys:rewrap',
  summary: 're-encrypt stored keys with the newest KEK',
  parse(args) {
    options(args, {});
    return (config) =>
      withDatabase(config, async (db) => {
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
        say(
          `Re-encrypted every stored key with key-encryption key "${newest}", in one transaction:`,
        );
        say(wrapLine('signing keys', counts.signing_keys));
        say(wrapLine('generated cookie keys', counts.instance_secrets));
        say();
        say(
          `Every instance must list "${newest}" in KEY_ENCRYPTION_KEYS before it restarts. Once all do, older key-encryption keys can be removed from it: no stored key needs them any more.`,
        );
      });
  },
};

const COMMANDS = new Map<string, Command>([
  ['migrate', migrateCommand],
  ['accounts:create', createAccountCommand],
  ['accounts:set-password', setPasswordCommand],
  ['clients:list', listClientsCommand],
  ['keys:list', listKeysCommand],
  ['keys:stage', stageKeysCommand],
  ['keys:rotate', rotateKeysCommand],
  ['keys:prune', pruneKeysCommand],
  ['keys:rewrap', rewrapKeysCommand],
]);

function usage(): string {
  const lines = [
    ...[...COMMANDS.values()].map((c) => [c.usage, c.summary] as const),
    ['help', 'show this list'] as const,
  ];
  return [
    'Usage: npm run cli -- <command> [options]   (or: node src/cli.ts <command> [options])',
    '',
    'Commands:',
    ...lines.flatMap(([u, summary]) => [`  ${u}`, `      ${summary}`]),
    '',
    'Passwords are read from stdin (--password-stdin) or a hidden prompt, never from arguments.',
    'Settings come from the same environment variables as the server.',
  ].join('\n');
}

function errorMessage(error: unknown): string {
  if (error instanceof AggregateError && error.message === '') {
    return error.errors.map(errorMessage).join('; ');
  }
  return error instanceof Error ? error.message : String(error);
}

/** Errors from the system, Postgres or the ORM carry a code and need no stack trace. */
function isOperational(error: unknown): boolean {
  const candidate = error as { code?: unknown; driverError?: unknown } | null;
  return typeof candidate?.code === 'string' || candidate?.driverError !== undefined;
}

function domainMessage(error: DomainError): string {
  if (error instanceof InvalidInput) {
    return Object.entries(error.fields)
      .map(([field, problem]) => `Invalid ${field}: ${problem}`)
      .join(' ');
  }
  if (error instanceof EmailTaken) return 'An account with this email already exists.';
  if (error instanceof AccountNotFound) return 'No such account.';
  return `${error.message}.`;
}

/** Explains a failure on stderr and returns the exit code. */
function report(error: unknown): number {
  if (
    error instanceof UsageError ||
    (error as { code?: string })?.code?.startsWith('ERR_PARSE_ARGS')
  ) {
    console.error(`${errorMessage(error)}\n\n${usage()}`);
    return EXIT_USAGE;
  }
  if (error instanceof ConfigError || error instanceof ClientsFileError) {
    console.error(error.message);
    return EXIT_CONFIG;
  }
  if (error instanceof Interrupted) {
    console.error('Cancelled.');
    return EXIT_INTERRUPTED;
  }
  if (error instanceof StoredKeysUnreadable) {
    console.error(`error: ${error.message}`);
    return EXIT_FAILURE;
  }
  if (error instanceof CommandFailed) {
    console.error(`error: ${error.message}`);
    return EXIT_FAILURE;
  }
  if (error instanceof DomainError) {
    console.error(`error: ${domainMessage(error)}`);
    return EXIT_FAILURE;
  }
  if (isOperational(error)) {
    console.error(`error: ${errorMessage(error)}`);
    return EXIT_FAILURE;
  }
  console.error(error);
  return EXIT_FAILURE;
}

function refusesPasswordArgument(args: readonly string[]): boolean {
  return args.some((arg) => arg === '--password' || arg.startsWith('--password='));
}

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    say(usage());
    return EXIT_OK;
  }
  const command = COMMANDS.get(name);
  if (!command) return report(new UsageError(`Unknown command "${name}".`));
  if (args.includes('--help') || args.includes('-h')) {
    say(usage());
    return EXIT_OK;
  }
  try {
    if (refusesPasswordArgument(args)) {
      throw new UsageError(
        '--password is refused: command-line arguments are visible to other users of this machine (ps, /proc) and end up in shell history. Pipe the password with --password-stdin, or run the command in a terminal to be prompted.',
      );
    }
    const work = command.parse(args);
    await work(loadConfig());
    return EXIT_OK;
  } catch (error) {
    return report(error);
  }
}

process.exitCode = await main(process.argv.slice(2));
