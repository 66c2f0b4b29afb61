// What the audit trail costs: the CPU a request spends recording one event (inside a request's
// audit scope, as the server does), and how fast the writer gets events into Postgres in batches,
// against one INSERT per event, in a schema of its own.
//
// Usage
//   node bench/audit-cost.ts [--n 20000]
//
// The end-to-end comparison is `npm run bench -- --flows password-login,sso` on this tree against
// the same run on a tree without the audit trail; DESIGN.md ("Audit trail") has both.
import { parseArgs } from 'node:util';
import pg from 'pg';
import { withAuditContext } from '../src/audit/audit-context.ts';
import { AuditStore } from '../src/audit/audit-store.ts';
import { AuditWriter } from '../src/audit/audit-writer.ts';
import { createDataSource } from '../src/db/data-source.ts';
import { migrate } from '../src/db/migrate.ts';
import { createLogger } from '../src/logger.ts';
import { TEST_DATABASE_URL, uniqueNamespace } from '../test/support/server-env.ts';

const { values } = parseArgs({ options: { n: { type: 'string', default: '20000' } } });
const n = Number(values.n);
const UA =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const ACCOUNT = '3a5b1d00-c97c-4750-a55b-2a8642490461';
const scope = () => ({
  actor: 'account' as const,
  source: '203.0.113.7',
  userAgent: UA,
  requestId: '4fc36d08-564a-473f-a07c-21357d472c6a',
  clientId: 'shop',
});
const event = {
  type: 'sign_in' as const,
  accountId: ACCOUNT,
  details: { method: 'password', amr: ['pwd'] },
};

const schema = uniqueNamespace('auditcost');
const db = createDataSource({ databaseUrl: TEST_DATABASE_URL, databaseSchema: schema });
await db.initialize();
try {
  await migrate(db, schema);
  const store = new AuditStore(db);
  const logger = createLogger('warn', process.stderr);
  const count = async () => Number((await db.query('SELECT count(*) AS n FROM audit_events'))[0].n);

  // 1. Recording: what a request pays. The writer's timer never fires during the loop.
  const writer = new AuditWriter({ store, logger, flushMs: 60_000, bufferLimit: n * 2 });
  withAuditContext(scope(), () => {
    for (let i = 0; i < 2000; i++) writer.record(event);
  });
  await writer.flush();
  const recordN = Math.min(n, 499);
  const rounds = Math.ceil(n / recordN);
  let cpu = 0;
  for (let r = 0; r < rounds; r++) {
    const before = process.cpuUsage();
    // Fewer than a batch each round, so no write starts inside the measured loop.
    withAuditContext(scope(), () => {
      for (let i = 0; i < recordN; i++) writer.record(event);
    });
    const used = process.cpuUsage(before);
    cpu += used.user + used.system;
    await writer.flush();
  }
  const perRecord = cpu / (rounds * recordN);

  // 2. Writing in batches: n events recorded at once, then the time until all are in the table.
  const base = await count();
  const started = process.hrtime.bigint();
  const cpuBefore = process.cpuUsage();
  withAuditContext(scope(), () => {
    for (let i = 0; i < n; i++) writer.record(event);
  });
  await writer.close();
  const batchedMs = Number(process.hrtime.bigint() - started) / 1e6;
  const batchedCpu = process.cpuUsage(cpuBefore);
  const written = (await count()) - base;

  // 3. One INSERT per event, as a writer without batching would do (fewer: it is slow).
  const single = Math.min(n, 2000);
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  await client.query(`SET search_path = ${pg.escapeIdentifier(schema)}`);
  const one = process.hrtime.bigint();
  for (let i = 0; i < single; i++) {
    await client.query(
      `INSERT INTO audit_events (occurred_at, type, outcome, actor, account_id, client_id,
         source_address, user_agent, request_id, details)
       VALUES (now(), 'sign_in', 'success', 'account', $1, 'shop', '203.0.113.7', $2, $3, $4)`,
      [ACCOUNT, UA, 'req', JSON.stringify(event.details)],
    );
  }
  const singleMs = Number(process.hrtime.bigint() - one) / 1e6;
  await client.end();

  console.log(`Node ${process.version}, ${n} events`);
  console.log(`record() in a request scope:   ${perRecord.toFixed(2)} µs CPU per event`);
  console.log(
    `batched (500 per INSERT):       ${written} rows in ${batchedMs.toFixed(0)} ms = ${Math.round((written / batchedMs) * 1000)} rows/s, ${((batchedCpu.user + batchedCpu.system) / written).toFixed(1)} µs CPU per row here (recording included)`,
  );
  console.log(
    `one INSERT per event:           ${single} rows in ${singleMs.toFixed(0)} ms = ${Math.round((single / singleMs) * 1000)} rows/s (${(singleMs / single).toFixed(2)} ms each)`,
  );
} finally {
  await db.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`);
  await db.destroy();
}
