// Applies pending migrations and tells which are pending; an advisory lock makes concurrent boots
// take turns.
import pg from 'pg';
import type { DataSource } from 'typeorm';

/** The table TypeORM records applied migrations in, one row per migration name. */
export const MIGRATIONS_TABLE = 'latchkey_migrations';

const UNDEFINED_DATABASE = '3D000';
const DUPLICATE_DATABASE = '42P04';

/** Creates the database named in the URL when it does not exist yet and the role may create it. */
export async function ensureDatabase(databaseUrl: string): Promise<void> {
  const probe = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 5000 });
  try {
    await probe.connect();
    return;
  } catch (error) {
    if ((error as { code?: string }).code !== UNDEFINED_DATABASE) throw error;
  } finally {
    await probe.end().catch(() => undefined);
  }
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.slice(1));
  url.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: url.toString(), connectionTimeoutMillis: 5000 });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  } catch (error) {
    if ((error as { code?: string }).code !== DUPLICATE_DATABASE) throw error;
  } finally {
    await admin.end();
  }
}

export interface MigrationOutcome {
  applied: string[];
}

export async function migrate(dataSource: DataSource, schema: string): Promise<MigrationOutcome> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock(hashtext($1))', [`latchkey:migrate:${schema}`]);
    try {
      await runner.query(`CREATE SCHEMA IF NOT EXISTS ${pg.escapeIdentifier(schema)}`);
      const applied = await dataSource.runMigrations({ transaction: 'all' });
      return { applied: applied.map((m) => m.name) };
    } finally {
      await runner.query('SELECT pg_advisory_unlock(hashtext($1))', [`latchkey:migrate:${schema}`]);
    }
  } finally {
    await runner.release();
  }
}

/** The names of the migrations the data source knows and the database has not applied, in order. */
export async function pendingMigrations(dataSource: DataSource): Promise<string[]> {
  const known = dataSource.migrations.map((m) => m.name ?? m.constructor.name);
  const [table] = await dataSource.query('SELECT to_regclass($1) IS NOT NULL AS present', [
    MIGRATIONS_TABLE,
  ]);
  if (!table?.present) return known;
  const applied: { name: string }[] = await dataSource.query(
    `SELECT name FROM ${pg.escapeIdentifier(MIGRATIONS_TABLE)}`,
  );
  const done = new Set(applied.map((row) => row.name));
  return known.filter((name) => !done.has(name));
}
