// accounts:create and accounts:set-password, through the same use cases as the web pages.

import type { DataSource } from 'typeorm';
import type { Profile } from '../accounts/account.ts';
import { NO_NOTICES } from '../accounts/account-notices.ts';
import { AccountService } from '../accounts/account-service.ts';
import { EmailTokens } from '../accounts/email-tokens.ts';
import { EmailTaken } from '../accounts/errors.ts';
import { type AttemptCounter, LoginThrottle } from '../accounts/login-throttle.ts';
import { PasswordHasher } from '../accounts/passwords.ts';
import { NO_AUDIT } from '../audit/audit-log.ts';
import type { Config } from '../config.ts';
import { t } from '../i18n/t.ts';
import { type Command, CommandFailed, options, required, UsageError } from './command.ts';
import { withDatabase } from './database.ts';
import { recordOperatorEvent } from './operator-audit.ts';
import { say } from './output.ts';
import { passwordSource, readNewPassword } from './prompt.ts';
import { signOutEverywhere, withApp } from './sessions.ts';

// The CLI never throttles; AccountService only needs a counter to exist.
const uncounted: AttemptCounter = {
  take: () => Promise.resolve({ counted: true }),
  giveBack: () => Promise.resolve(),
  reset: () => Promise.resolve(),
};

/** The flags both commands take: which account, and whether the password comes on stdin. */
const ACCOUNT_FLAGS = {
  email: { type: 'string' },
  'password-stdin': { type: 'boolean' },
} as const;

function accountService(db: DataSource, config: Config): AccountService {
  return new AccountService({
    dataSource: db,
    hasher: new PasswordHasher(config.bcryptCost),
    throttle: new LoginThrottle(uncounted),
    tokens: new EmailTokens(db),
    // Operators act on accounts directly: nothing they do here sends mail.
    notices: NO_NOTICES,
    // These use cases record nothing themselves; each command records its admin.* event.
    audit: NO_AUDIT,
  });
}

export const createAccountCommand: Command = {
  usage: 'accounts:create --email E --name N [--verified] [--password-stdin | --no-password]',
  summary: 'create an account, print its id (OIDC sub)',
  parse(args) {
    const values = options(args, {
      ...ACCOUNT_FLAGS,
      name: { type: 'string' },
      verified: { type: 'boolean' },
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
            throw new CommandFailed(t('cli.email_taken', { email: email.trim() }));
          }
          throw error;
        }
        await recordOperatorEvent(db, {
          type: 'admin.account_created',
          accountId: profile.id,
          details: {
            verified: emailVerified,
            method: password === undefined ? 'none' : 'password',
          },
        });
        say('Account created.');
        say(`  id (OIDC sub): ${profile.id}`);
        say(`  email:         ${profile.email} (${profile.emailVerified ? '' : 'not '}verified)`);
        say(`  name:          ${profile.name}`);
        say(`  password:      ${password === undefined ? 'none' : 'set'}`);
      });
  },
};

export const setPasswordCommand: Command = {
  usage: 'accounts:set-password --email E [--password-stdin] [--keep-sessions]',
  summary: "replace an account's password and sign it out everywhere (apps are told)",
  parse(args) {
    const values = options(args, { ...ACCOUNT_FLAGS, 'keep-sessions': { type: 'boolean' } });
    const email = required(values.email, '--email');
    const source = passwordSource(values['password-stdin'] === true);
    const keepSessions = values['keep-sessions'] === true;
    return async (config) => {
      const accountId = await withDatabase(config, async (db) => {
        const accounts = accountService(db, config);
        // Looked up before asking, so nobody types a password for an address that has no account.
        const account = await accounts.findAccountByEmail(email);
        if (!account) throw new CommandFailed(`No account has the email ${email.trim()}.`);
        await accounts.setPassword(account.id, await readNewPassword(source));
        await recordOperatorEvent(db, {
          type: 'admin.password_set',
          accountId: account.id,
          details: { keep_sessions: keepSessions },
        });
        say(`Password set for ${account.email} (${account.id}).`);
        return account.id;
      });
      // A reset is for a password lost or known to others: whoever holds a session with the old
      // one is signed out, and their apps' tokens revoked.
      if (!keepSessions) {
        await withApp(config, email, (app) => signOutEverywhere(app, accountId));
      }
    };
  },
};
