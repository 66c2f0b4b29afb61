// Postgres for one command: opened, checked to be migrated, always closed; outages named plainly.
import type { DataSource } from 'typeorm';
import type { Config } from '../config.ts';
import { createDataSource } from '../db/data-source.ts';
import { ensureDatabase, pendingMigrations } from '../db/migrate.ts';
import { describeUrl } from '../net.ts';
import {
  type Command,
  CommandFailed,
  errorMessage,
  isOperational,
  withoutOptions,
} from './command.ts';

/** Where the database is, without credentials. */
export function describeDatabase(config: Config): string {
  return `${describeUrl(config.databaseUrl)} (schema ${config.databaseSchema})`;
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
export async function withDatabase<T>(
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

/** A command without options whose work needs the migrated database. */
export function databaseCommand(
  usage: string,
  summary: string,
  work: (db: DataSource, config: Config) => Promise<void>,
): Command {
  return withoutOptions(usage, summary, (config) => withDatabase(config, (db) => work(db, config)));
}
