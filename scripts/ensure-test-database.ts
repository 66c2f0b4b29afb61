// Creates the database at TEST_DATABASE_URL when it is missing; the in-process tests make their
// schemas in it.
import { ensureDatabase } from '../src/db/migrate.ts';

const url = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
try {
  await ensureDatabase(url);
} catch (error) {
  console.error(`cannot reach or create the test database ${url}: ${(error as Error).message}`);
  process.exit(1);
}
