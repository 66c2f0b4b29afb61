// sessions:list and sessions:revoke: where a person is signed in, and ending it, through the same
// app the server runs (its provider, Redis index and back-channel logout), without listening.
import { AccountRepository } from '../accounts/account-repository.ts';
import { createApp, type LatchkeyApp } from '../app.ts';
import { connect } from '../boot.ts';
import type { Config } from '../config.ts';
import { createLogger } from '../logger.ts';
import type { DeviceEntry } from '../oidc/account-devices.ts';
import { type Command, CommandFailed, options, required, UsageError } from './command.ts';
import { withDatabase } from './database.ts';
import { formatDate, say, sayLines, table } from './output.ts';

/**
 * The server's parts for one command, for the account with this email: nothing migrated or
 * listened on; logs (warnings) on stderr. The account is checked first, on the database alone, so
 * a wrong email touches nothing (the full boot would create signing keys on a fresh database).
 */
export async function withApp<T>(
  config: Config,
  email: string,
  work: (app: LatchkeyApp, accountId: string) => Promise<T>,
): Promise<T> {
  const account = await withDatabase(config, (db) => new AccountRepository(db).byEmail(email));
  if (!account) throw new CommandFailed(`No account has the email ${email}.`);
  const logger = createLogger('warn', process.stderr);
  const resources = await connect({ ...config, migrateOnBoot: false }, logger);
  try {
    const app = createApp({ config, logger, ...resources });
    try {
      return await work(app, account.id);
    } finally {
      // Logout tokens are sent (or given up on), and events written, before the process ends.
      await app.backchannel.settled();
      await app.audit.close();
    }
  } finally {
    await resources.close();
  }
}

const when = (ms: number | undefined) => formatDate(ms === undefined ? null : new Date(ms));

function rows(entries: readonly DeviceEntry[]): string[] {
  return table(
    ['ID', 'KIND', 'DEVICE', 'ADDRESS', 'SIGNED IN', 'METHOD', 'LAST ACTIVE', 'APPS'],
    entries.map((e) => [
      e.id,
      e.kind,
      e.device || '-',
      e.ip || '-',
      when(e.signedInAt),
      e.method ?? '-',
      when(e.lastActiveAt),
      e.apps.map((a) => a.clientId).join(',') || '-',
    ]),
  );
}

export const listSessionsCommand: Command = {
  usage: 'sessions:list --email E',
  summary: "list an account's signed-in browsers and apps holding refresh tokens",
  parse(args) {
    const email = required(options(args, { email: { type: 'string' } }).email, '--email');
    return (config) =>
      withApp(config, email, async (app, accountId) => {
        const entries = await app.devices.list(accountId);
        if (entries.length === 0) say('No sessions.');
        else sayLines(rows(entries));
      });
  },
};

/** Ends every session of the account and revokes every grant; apps are told. */
export async function signOutEverywhere(app: LatchkeyApp, accountId: string): Promise<void> {
  const ended = await app.devices.signOutOthers(accountId, undefined);
  app.audit.writer.record({
    type: 'sessions.revoked',
    accountId,
    details: { scope: 'all', via: 'cli', ...ended },
  });
  say(`Ended ${ended.sessions} session(s) and revoked ${ended.grants} grant(s).`);
}

export const revokeSessionsCommand: Command = {
  usage: 'sessions:revoke --email E (--session ID | --all)',
  summary: 'sign out one session or app (an ID from sessions:list) or all; apps are told',
  parse(args) {
    const values = options(args, {
      email: { type: 'string' },
      session: { type: 'string' },
      all: { type: 'boolean' },
    });
    const email = required(values.email, '--email');
    const all = values.all === true;
    if (all === (values.session !== undefined)) {
      throw new UsageError('Give either --session ID or --all.');
    }
    return (config) =>
      withApp(config, email, async (app, accountId) => {
        if (all) return signOutEverywhere(app, accountId);
        if (!(await app.devices.signOut(accountId, values.session as string))) {
          throw new CommandFailed(`No session ${values.session} is signed in to ${email}.`);
        }
        app.audit.writer.record({
          type: 'sessions.revoked',
          accountId,
          details: { scope: 'one', via: 'cli' },
        });
        say(`Signed out ${values.session}.`);
      });
  },
};
