// Fires attacks with real parallel requests at a test server and prints what got through.
//
// Usage: npm run security [-- NAME...]     every case in test/security/cases/, or those named
//
// Each file in cases/ exports a `SecurityCase` as default: a name, and `run(harness)` that attacks
// a server and returns lines saying what happened and whether that is what Latchkey promises.
// Servers are started in this process against the test Postgres and Redis (TEST_DATABASE_URL,
// TEST_REDIS_URL), one per distinct set of settings, and removed at the end.
// Exit status: 0 when every case held, 1 otherwise.
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Env } from '../../src/config.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

export interface Finding {
  /** What was tried and what came back, e.g. "code: 20 concurrent redemptions -> 1 token set". */
  line: string;
  /** Whether the outcome is the one Latchkey promises; absent for a line that only informs. */
  held?: boolean;
}

export interface Harness {
  /** A running server with these settings (started once, shared by cases). */
  server(env?: Env): Promise<TestServer>;
}

export interface SecurityCase {
  name: string;
  run(harness: Harness): Promise<Finding[]>;
}

const CASES_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'cases');

async function main(): Promise<void> {
  const wanted = new Set(process.argv.slice(2));
  const files = (await readdir(CASES_DIR)).filter((f) => f.endsWith('.ts')).sort();
  const servers = new Map<string, Promise<TestServer>>();
  const harness: Harness = {
    server(env = {}) {
      const key = JSON.stringify(Object.entries(env).sort());
      let server = servers.get(key);
      if (!server) {
        server = startTestServer({ env: { LOG_LEVEL: 'warn', ...env } });
        servers.set(key, server);
      }
      return server;
    },
  };

  let failed = 0;
  try {
    for (const file of files) {
      const module = (await import(pathToFileURL(path.join(CASES_DIR, file)).href)) as {
        default: SecurityCase;
      };
      const attack = module.default;
      if (wanted.size > 0 && !wanted.has(attack.name)) continue;
      console.log(`${attack.name}`);
      try {
        for (const finding of await attack.run(harness)) {
          const mark = finding.held === undefined ? '    ' : finding.held ? 'ok  ' : 'FAIL';
          console.log(`  ${mark} ${finding.line}`);
          if (finding.held === false) failed += 1;
        }
      } catch (error) {
        failed += 1;
        console.log(`  FAIL the case could not run: ${(error as Error).stack ?? String(error)}`);
      }
    }
  } finally {
    for (const server of servers.values()) await (await server).stop();
  }
  console.log(failed === 0 ? '\nevery case held' : `\n${failed} finding(s) failed`);
  process.exitCode = failed === 0 ? 0 : 1;
}

await main();
