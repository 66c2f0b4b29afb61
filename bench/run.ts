// Benchmarks Latchkey end to end over HTTP: password sign-in, single sign-on, refresh, userinfo.
//
// Usage
//   npm run bench                                   own server, 8 workers, 2 s warm-up, 10 s/flow
//   npm run bench -- --duration 3 --concurrency 4 --flows sso,refresh --json
//   npm run bench -- --issuer https://id.example.com \
//     --client-id app-a --client-secret ... --redirect-uri https://a.example.com/callback \
//     --second-client-id app-b --second-client-secret ... --second-redirect-uri https://b.example.com/cb
//   npm run bench -- --help                         every option
//
// Flows (latency is per operation: from its first request to the checked result)
//   password-login  a fresh cookie jar: /authorize (code, S256 PKCE) -> sign-in page -> POST email
//                   and password -> redirects to the redirect_uri -> /token. openid-client checks
//                   the ID token's claims and, with non-repudiation checks on, its signature.
//   sso             a browser that signed in once (before timing) starts an authorization request
//                   for the second client and gets a code without a password, then exchanges it.
//                   After its first visit the session holds a grant for that client, so the steady
//                   state timed here is /authorize -> redirect_uri -> /token.
//   refresh         refresh_token grant with rotation. Each worker follows its own chain: presenting
//                   a token that was already rotated revokes the whole grant, so chains cannot be
//                   shared. Chains start from `openid profile email offline_access` with
//                   prompt=consent, the request that gets a refresh token.
//   userinfo        GET /userinfo with a bearer access token; openid-client checks the sub.
//
// Target
//   Without --issuer the bench starts its own server the way test/e2e/run.ts does: `node
//   --import ./src/tracing/preload.ts src/main.ts` (as `npm start`) as a child process, a unique DATABASE_SCHEMA and REDIS_KEY_PREFIX, a temporary
//   clients file with two first-party confidential clients and random secrets, BCRYPT_COST from
//   --bcrypt-cost (default 10: realistic sign-in cost without a glacial run), LOG_LEVEL=warn so
//   request logs do not weigh on the results. The server is stopped, the schema and Redis keys
//   dropped and the temporary files deleted at the end, also on failure or Ctrl-C (a second
//   Ctrl-C exits at once and says what it left behind).
//   With --issuer it benchmarks a running server. Both clients must be confidential
//   (client_secret_basic), have `"first_party": true` (no consent page, and offline_access with
//   prompt=consent granted without a click), allow the authorization_code and refresh_token grants
//   and have the given redirect URI registered. Redirect URIs are never fetched (the code is read
//   from the Location header), so they need not point at anything.
//
// Accounts
//   Sign-ups are limited per source address (20 per 15 minutes). The bench does not dodge that:
//   its own server does not trust X-Forwarded-For, and turning TRUST_PROXY on only to forge
//   addresses would measure a misconfigured server. It signs up a few accounts through the form
//   instead (--accounts, default 16, at most 20 on its own server) and the workers take turns with
//   them. The number of accounts does not change the work per sign-in (one lookup on the unique
//   lower(email) index, one bcrypt comparison), and successful sign-ins are never throttled. For
//   repeated runs against one --issuer, pass existing accounts with --login EMAIL:PASSWORD
//   (repeatable) and --accounts 0. A running server confirms sign-ups by mail: with --mail-api
//   URL (a MailDev REST API that receives its mail) the bench follows the links there.
//
// Several instances (make scale-bench, scripts/scale-bench.sh)
//   --instance-header names the response header a load balancer sets to the instance that
//   answered: each flow's requests are counted by it. --cpu NAME=FILE reads a container's cgroup
//   CPU accounting before and after each phase: the report gives each container's CPU per
//   operation. --save FILE writes the JSON report, and --baseline FILE (an earlier one) adds each
//   flow's throughput against it.
//
// Reading the numbers
//   Keep-alive agents carry every request, so TCP setup is not measured (the connection count is
//   printed). With its own server the bench reads the server's RSS (VmRSS, VmHWM) and CPU time
//   from /proc and lists the Redis keys the run left. Bench, server, Postgres and Redis then share
//   the machine: the table shows the CPU the server and the bench used and how busy the whole
//   machine was, so a run disturbed by other work stands out. Postgres and Redis are the ones the
//   tests use (TEST_DATABASE_URL, TEST_REDIS_URL).
//
// Exit status: 0; 1 when an operation or the run failed; 2 for a bad command line; 130 when
// interrupted.
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { mailDevMailbox, registerMailbox } from '../test/support/mailbox.ts';
import {
  type Flow,
  type FlowContext,
  makeFlow,
  type Operation,
  relyingParty,
  signUp,
} from './flows.ts';
import { HttpClient } from './http.ts';
import { baselineFlows, scaleOut } from './instances.ts';
import { checkInterrupted, Interrupted, reportLeftovers, stopOnSignals } from './interrupt.ts';
import {
  type Account,
  type BaseFlowName,
  type ClientSettings,
  type FlowName,
  MACHINE_FLOWS,
  type MachineSettings,
  type Options,
  parseOptions,
  referenceOf,
  SetupError,
  USAGE,
  UsageError,
} from './options.ts';
import { combinePhases, type PhaseResult, runPhase } from './phase.ts';
import {
  environment,
  type FlowResult,
  flowResult,
  printReport,
  type Report,
  referenceComparisons,
} from './report.ts';
import {
  localRedisPid,
  type OwnServer,
  procStatus,
  redisKeysByKind,
  serverProblems,
  startBareEngine,
  startOwnServer,
} from './server.ts';
import { describeError } from './stats.ts';

/** Progress goes to stderr so stdout holds only the results (tables or JSON). */
function progress(message: string): void {
  console.error(message);
}

async function run(options: Options): Promise<number> {
  const cleanups: (() => Promise<void>)[] = [];
  const http = new HttpClient(options.timeoutS * 1000, options.instanceHeader);
  const env = environment();
  let exitCode = 0;
  try {
    // Read first: a baseline that cannot be read should not cost a whole run.
    const baseline =
      options.baseline === undefined
        ? undefined
        : baselineFlows(readFileSync(options.baseline, 'utf8'), options.baseline);
    let issuer: string;
    let own: OwnServer | undefined;
    let settings: { first: ClientSettings; second: ClientSettings; machine?: MachineSettings };
    if (options.external) {
      issuer = options.external.issuer;
      settings = options.external;
      // Sign-ups on a running server are confirmed by the mail its catcher kept.
      if (options.mailApi) registerMailbox(issuer, mailDevMailbox(options.mailApi));
    } else {
      progress(`starting a server (BCRYPT_COST=${options.bcryptCost})...`);
      const started = await startOwnServer(options.bcryptCost, options.serverEnv, cleanups);
      own = started.server;
      issuer = own.process.issuer;
      settings = started;
    }
    checkInterrupted();
    const pid = own?.process.child.pid;
    const bootStatus = pid === undefined ? undefined : procStatus(pid);
    const peopleFlows = options.flows.some((f) => !MACHINE_FLOWS.includes(f));

    const first = await relyingParty(http, issuer, settings.first);
    const second = await relyingParty(http, issuer, settings.second);

    // Emails under example.com (reserved) and a per-run tag, so runs never collide.
    const tag = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
    const created: Account[] = Array.from(
      { length: peopleFlows ? options.signUps : 0 },
      (_, i) => ({
        email: `bench.${tag}.${i + 1}@example.com`,
        password: `bench ${randomBytes(18).toString('base64url')}`,
      }),
    );
    if (created.length > 0) progress(`signing up ${created.length} accounts through the form...`);
    let nextSignUp = 0;
    await Promise.all(
      Array.from({ length: Math.min(options.concurrency, created.length) }, async () => {
        while (nextSignUp < created.length) {
          checkInterrupted();
          const n = nextSignUp++;
          await signUp(http, issuer, first, created[n] as Account, n + 1).catch((error) => {
            throw new SetupError(`signing up account ${n + 1} failed: ${describeError(error)}`);
          });
        }
      }),
    );
    const accounts = [...options.logins, ...created];
    let turn = 0;
    const ctx: FlowContext = {
      http,
      issuer,
      first,
      second,
      deviceClientId: options.deviceClientId,
      nextAccount: () => accounts[turn++ % accounts.length] as Account,
      machine: settings.machine,
    };

    // The reference gets the same clients and accounts, so its flows are the same requests.
    let bare: { issuer: string; pid: number; ctx: FlowContext } | undefined;
    if (options.flows.some((f) => referenceOf(f) !== undefined)) {
      progress('starting the reference (oidc-provider alone, bench/bare-engine.ts)...');
      const started = await startBareEngine(
        {
          clients: [settings.first, settings.second],
          ...(settings.machine ? { machine: settings.machine } : {}),
          accounts: accounts.map((a) => {
            const n = created.indexOf(a);
            return { ...a, name: n === -1 ? a.email : `Bench Person ${n + 1}` };
          }),
        },
        options.bcryptCost,
        cleanups,
        options.serverEnv,
      );
      let bareTurn = 0;
      bare = {
        ...started,
        ctx: {
          ...ctx,
          issuer: started.issuer,
          first: await relyingParty(http, started.issuer, settings.first),
          second: await relyingParty(http, started.issuer, settings.second),
          nextAccount: () => accounts[bareTurn++ % accounts.length] as Account,
        },
      };
    }

    const beforeFlows = pid === undefined ? undefined : procStatus(pid);
    const flows: FlowResult[] = [];
    const bareCtx = () => {
      if (!bare) throw new SetupError('the reference is not running');
      return bare.ctx;
    };
    // The reference's CPU is its own process's, measured the same way as the server's.
    const flowPid = (name: FlowName) => (referenceOf(name) ? bare?.pid : pid);
    // Redis CPU per operation: only when one flow at a time uses a Redis on this machine.
    const redisPid = own && !options.together ? await localRedisPid() : undefined;
    const prepared: { flow: Flow; operations: Operation[]; phases: PhaseResult[] }[] = [];
    for (const name of options.flows) {
      const base = referenceOf(name);
      const flow =
        base === undefined ? makeFlow(name as BaseFlowName, ctx) : makeFlow(base, bareCtx(), name);
      progress(`${name}: preparing ${options.concurrency} workers...`);
      const operations = await Promise.all(
        Array.from({ length: options.concurrency }, (_, w) =>
          flow.prepare(w).catch((error) => {
            throw new SetupError(
              `${name}: preparing worker ${w + 1} failed: ${describeError(error)}`,
            );
          }),
        ),
      );
      checkInterrupted();
      prepared.push({ flow, operations, phases: [] });
    }
    // With --together a flow and its reference twin run at the same time, each with its workers.
    const turns: (typeof prepared)[] = [];
    for (const entry of prepared) {
      const base = referenceOf(entry.flow.name);
      const partner =
        options.together && base ? turns.find((t) => t[0]?.flow.name === base) : undefined;
      if (partner) partner.push(entry);
      else turns.push([entry]);
    }
    for (let round = 1; round <= options.rounds; round++) {
      const of = options.rounds > 1 ? ` (round ${round} of ${options.rounds})` : '';
      for (const turn of turns) {
        const names = turn.map((t) => t.flow.name).join(' + ');
        if (round === 1 && options.warmupS > 0) {
          progress(`${names}: warming up for ${options.warmupS} s...`);
          await Promise.all(
            turn.map(({ flow, operations }) =>
              runPhase(
                flow,
                operations,
                options.warmupS,
                http,
                flowPid(flow.name),
                options.rate,
                redisPid,
                options.cpuFiles,
              ),
            ),
          );
          checkInterrupted();
        }
        progress(`${names}: measuring for ${options.durationS} s${of}...`);
        const results = await Promise.all(
          turn.map(({ flow, operations }) =>
            runPhase(
              flow,
              operations,
              options.durationS,
              http,
              flowPid(flow.name),
              options.rate,
              redisPid,
              options.cpuFiles,
            ),
          ),
        );
        turn.forEach((t, i) => {
          t.phases.push(results[i] as PhaseResult);
        });
        checkInterrupted();
      }
    }
    for (const { flow, phases } of prepared) {
      const result = flowResult(flow.name, combinePhases(phases));
      flows.push(result);
      if (result.errors > 0) exitCode = 1;
    }
    const after = pid === undefined ? undefined : procStatus(pid);

    const report: Report = {
      environment: env,
      target: {
        issuer,
        ownServer: own !== undefined,
        bcryptCost: own ? options.bcryptCost : null,
        serverEnv: own ? options.serverEnv : {},
      },
      settings: {
        concurrency: options.concurrency,
        warmupSeconds: options.warmupS,
        durationSeconds: options.durationS,
        rounds: options.rounds,
        together: options.together,
        rate: options.rate ?? null,
        accounts: accounts.length,
      },
      flows,
      comparisons: referenceComparisons(flows),
      scaleOut: baseline ? scaleOut(flows, baseline) : [],
      baseline: options.baseline ?? null,
      connections: { opened: http.connections, requests: http.requests },
      server:
        own && pid !== undefined && bootStatus && beforeFlows && after
          ? {
              pid,
              rssKiB: {
                boot: bootStatus.rssKiB,
                beforeFlows: beforeFlows.rssKiB,
                after: after.rssKiB,
                peak: after.peakKiB,
              },
              redisKeysLeft: await redisKeysByKind(own.namespace),
              logProblems: serverProblems(own.process),
            }
          : null,
    };
    if (options.save) writeFileSync(options.save, `${JSON.stringify(report, null, 2)}\n`);
    if (options.json) console.log(JSON.stringify(report, null, 2));
    else printReport(report);
  } catch (error) {
    if (error instanceof Interrupted) {
      exitCode = 130;
    } else if (error instanceof SetupError) {
      console.error(error.message);
      exitCode = 1;
    } else {
      console.error(error instanceof Error ? (error.stack ?? error.message) : error);
      exitCode = 1;
    }
  } finally {
    http.close();
    if (cleanups.length > 0) progress('cleaning up...');
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (error) {
        console.error('cleanup failed:', error instanceof Error ? error.message : error);
        exitCode ||= 1;
      }
    }
    reportLeftovers();
  }
  return exitCode;
}

let parsed: Options | 'help';
try {
  parsed = parseOptions(process.argv.slice(2));
} catch (error) {
  // parseArgs reports unknown or malformed options with a TypeError carrying an ERR_PARSE_ARGS code.
  const usage =
    error instanceof UsageError ||
    String((error as { code?: unknown } | null)?.code).startsWith('ERR_PARSE_ARGS');
  if (!usage) throw error;
  console.error(`${(error as Error).message}\n\n${USAGE}`);
  process.exit(2);
}
if (parsed === 'help') {
  console.log(USAGE);
} else {
  stopOnSignals();
  process.exitCode = await run(parsed);
}
