// migrate: creates the database when missing and applies pending migrations.
import { migrate } from '../db/migrate.ts';
import { withoutOptions } from './command.ts';
import { describeDatabase, withDatabase } from './database.ts';
import { say } from './output.ts';

export const migrateCommand = withoutOptions(
  'migrate',
  'create the database if missing, apply migrations',
  (config) =>
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
    ),
);
