// Operator commands: migrations, accounts, the configured clients, signing-key rotation,
// re-encryption of stored keys under a new key-encryption key, a person's sessions, and the
// audit trail.
// Entry: node src/cli/main.ts.
import { AccountNotFound, DomainError, InvalidInput } from '../accounts/errors.ts';
import { withAuditContext } from '../audit/audit-context.ts';
import { ConfigError, loadConfig } from '../config.ts';
import { mapError, problemWords } from '../http/map-error.ts';
import { t } from '../i18n/t.ts';
import { StoredKeysUnreadable } from '../keys/key-encryption.ts';
import { ClientsFileError } from '../oidc/clients.ts';
import { ResourceServersFileError } from '../oidc/resource-servers.ts';
import { createAccountCommand, setPasswordCommand } from './accounts.ts';
import { auditCommand, pruneAuditCommand } from './audit.ts';
import { listClientsCommand } from './clients.ts';
import {
  type Command,
  CommandFailed,
  EXIT_CONFIG,
  EXIT_FAILURE,
  EXIT_INTERRUPTED,
  EXIT_OK,
  EXIT_USAGE,
  errorMessage,
  Interrupted,
  isOperational,
  UsageError,
} from './command.ts';
import {
  listKeysCommand,
  pruneKeysCommand,
  rewrapKeysCommand,
  rotateKeysCommand,
  stageKeysCommand,
} from './keys.ts';
import { migrateCommand } from './migrate.ts';
import { operatorName } from './operator-audit.ts';
import { say } from './output.ts';
import { listResourcesCommand } from './resources.ts';
import { listSessionsCommand, revokeSessionsCommand } from './sessions.ts';

const COMMANDS = new Map<string, Command>([
  ['migrate', migrateCommand],
  ['accounts:create', createAccountCommand],
  ['accounts:set-password', setPasswordCommand],
  ['clients:list', listClientsCommand],
  ['resources:list', listResourcesCommand],
  ['keys:list', listKeysCommand],
  ['keys:stage', stageKeysCommand],
  ['keys:rotate', rotateKeysCommand],
  ['keys:prune', pruneKeysCommand],
  ['keys:rewrap', rewrapKeysCommand],
  ['sessions:list', listSessionsCommand],
  ['sessions:revoke', revokeSessionsCommand],
  ['audit', auditCommand],
  ['audit:prune', pruneAuditCommand],
]);

function usage(): string {
  const lines = [
    ...[...COMMANDS.values()].map((c) => [c.usage, c.summary] as const),
    ['help', 'show this list'] as const,
  ];
  return [
    'Usage: npm run cli -- <command> [options]   (or: node src/cli/main.ts <command> [options])',
    '',
    'Commands:',
    ...lines.flatMap(([u, summary]) => [`  ${u}`, `      ${summary}`]),
    '',
    'Passwords are read from stdin (--password-stdin) or a hidden prompt, never from arguments.',
    'Settings come from the same environment variables as the server.',
  ].join('\n');
}

/** An account rule's refusal in the catalogue's words; the operator may learn what a visitor may not. */
function domainMessage(error: DomainError): string {
  if (error instanceof InvalidInput) {
    return Object.entries(error.fields)
      .map(([field, problem]) => t('cli.invalid_field', { field, problem: problemWords(problem) }))
      .join(' ');
  }
  if (error instanceof AccountNotFound) return t('cli.account_not_found');
  return mapError(error).message;
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
  if (
    error instanceof ConfigError ||
    error instanceof ClientsFileError ||
    error instanceof ResourceServersFileError
  ) {
    console.error(error.message);
    return EXIT_CONFIG;
  }
  if (error instanceof Interrupted) {
    console.error('Cancelled.');
    return EXIT_INTERRUPTED;
  }
  if (error instanceof StoredKeysUnreadable || error instanceof CommandFailed) {
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
    const config = loadConfig();
    // What the command changes is recorded as the operator's doing (cli/operator-audit.ts).
    await withAuditContext({ actor: 'operator', operator: operatorName() }, () => work(config));
    return EXIT_OK;
  } catch (error) {
    return report(error);
  }
}

process.exitCode = await main(process.argv.slice(2));
