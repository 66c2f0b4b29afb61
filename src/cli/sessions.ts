// sessions:list and sessions:revoke: where a person is signed in, and ending it, through the same
// app the server runs (its provider, Redis index and back-channel logout), without listening.
import { createApp, type LatchkeyApp } from '../app.ts';
import { connect } from '../boot.ts';
import type { Config } from '../config.ts';
import { createLogger } from '../logger.ts';
import type { DeviceEntry } from '../oidc/account-devices.ts';
import { type Command, CommandFailed, options, required, UsageError } from './command.ts';
import { formatDate, say, sayLines, table } from './output.ts';

/** The server's parts for one command: nothing migrated or listened on; logs (warnings) on stderr. */
async function withApp<T>(config: Config, work: (app: LatchkeyApp) => Promise<T>): Promise<T> {
  const logger = createLogger('warn', process.stderr);
  const resources = await connect({ ...config, migrateOnBoot: false }, logger);
  try {
    const app = createApp({ config, logger, ...resources });
    try {
      return await work(app);
    } finally {
      // Logout tokens are sent (or given up on) before the process ends.
      await app.backchannel.settled();
    }
  } finally {
    await resources.close();
  }
}

async function accountIdOf(app: LatchkeyApp, email: string): Promise<string> {
  const account = await app.accounts.findAccountByEmail(email);
  if (!account) throw new CommandFailed(`No account has the email ${email}.`);
  return account.id;
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
      withApp(config, async (app) => {
        const entries = await app.devices.list(await accountIdOf(app, email));
        if (entries.length === 0) say('No sessions.');
        else sayLines(rows(entries));
      });
  },
};

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
      withApp(config, async (app) => {
        const accountId = await accountIdOf(app, email);
        if (all) {
          const ended = await app.devices.signOutOthers(accountId, undefined);
          say(`Ended ${ended.sessions} session(s) and revoked ${ended.grants} grant(s).`);
          return;
        }
        if (!(await app.devices.signOut(accountId, values.session as string))) {
          throw new CommandFailed(`No session ${values.session} is signed in to ${email}.`);
        }
        say(`Signed out ${values.session}.`);
      });
  },
};
