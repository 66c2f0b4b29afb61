// SIGTERM under steady keep-alive load: every request the server accepted gets its answer,
// clients are told Connection: close and move away, and the process exits 0 long before
// SHUTDOWN_TIMEOUT_MS would cut connections.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { signUpAndAuthorize } from '../support/oidc.ts';
import { type ServerProcess, startServerProcess } from '../support/process.ts';
import { dropNamespace, serverEnv, TEST_CLIENTS, uniqueNamespace } from '../support/server.ts';

interface Outcome {
  id: string;
  sentAfterSigterm: boolean;
  answeredAfterSigterm?: boolean;
  status?: number;
  connection?: string;
  error?: string;
}

function send(agent: Agent, url: string, headers: Record<string, string>) {
  return new Promise<{ status: number; connection?: string }>((resolve, reject) => {
    const req = request(url, { agent, headers }, (res) => {
      res.resume();
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, connection: res.headers.connection }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('shutting down under keep-alive load', function () {
  this.timeout(60_000);
  const namespace = uniqueNamespace('drain');
  const shutdownTimeoutMs = 10_000;
  let dir: string;
  let server: ServerProcess;
  const outcomes: Outcome[] = [];
  let exitCode: number | null;
  let exitMs: number;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'latchkey-drain-'));
    const clientsFile = path.join(dir, 'clients.json');
    await writeFile(clientsFile, JSON.stringify(Object.values(TEST_CLIENTS)));
    server = await startServerProcess(
      serverEnv({
        namespace,
        clientsFile,
        // So the request ids the clients send are the ones in the server's log.
        extra: { TRUST_PROXY: 'true', SHUTDOWN_TIMEOUT_MS: String(shutdownTimeoutMs) },
      }),
    );
    const { tokens } = await signUpAndAuthorize(server.issuer, TEST_CLIENTS.firstParty);
    const targets: { path: string; headers: Record<string, string> }[] = [
      { path: '/userinfo', headers: { authorization: `Bearer ${tokens.access_token}` } },
      { path: '/.well-known/openid-configuration', headers: {} },
      { path: '/readyz', headers: {} },
    ];

    let sigtermAt = 0;
    // Each client keeps one connection and sends on it as fast as answers come back.
    const client = async (n: number) => {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      try {
        for (let i = 0; ; i++) {
          const target = targets[(n + i) % targets.length] as {
            path: string;
            headers: Record<string, string>;
          };
          const id = `drain-${n}-${i}-${randomBytes(4).toString('hex')}`;
          const outcome: Outcome = { id, sentAfterSigterm: sigtermAt > 0 };
          outcomes.push(outcome);
          try {
            const res = await send(agent, `${server.issuer}${target.path}`, {
              ...target.headers,
              'x-request-id': id,
            });
            outcome.status = res.status;
            outcome.connection = res.connection;
            outcome.answeredAfterSigterm = sigtermAt > 0;
          } catch (error) {
            outcome.error = (error as { code?: string }).code ?? (error as Error).message;
            // The listener is closed: this client has moved away.
            if (outcome.error === 'ECONNREFUSED') return;
          }
        }
      } finally {
        agent.destroy();
      }
    };
    // One request is surely in flight at SIGTERM: its body is still being uploaded.
    let uploadRest = () => {};
    const slowUpload = new Promise<void>((resolve) => {
      const outcome: Outcome = {
        id: `drain-upload-${randomBytes(4).toString('hex')}`,
        sentAfterSigterm: false,
      };
      outcomes.push(outcome);
      const agent = new Agent({ keepAlive: true });
      const req = request(`${server.issuer}/token`, {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'x-request-id': outcome.id,
        },
      });
      req.on('response', (res) => {
        res.resume();
        res.on('end', () => {
          outcome.status = res.statusCode;
          outcome.connection = res.headers.connection;
          outcome.answeredAfterSigterm = sigtermAt > 0;
          agent.destroy();
          resolve();
        });
      });
      req.on('error', (error) => {
        outcome.error = (error as { code?: string }).code ?? error.message;
        agent.destroy();
        resolve();
      });
      req.write('grant_type=refresh_token&refresh_token=');
      uploadRest = () => req.end('not-a-token&client_id=public-spa');
    });
    const load = [...Array.from({ length: 8 }, (_, n) => client(n)), slowUpload];
    await new Promise((r) => setTimeout(r, 1000));
    sigtermAt = performance.now();
    server.child.kill('SIGTERM');
    setTimeout(() => uploadRest(), 300);
    exitCode = await server.exited;
    exitMs = performance.now() - sigtermAt;
    await Promise.all(load);
  });

  after(async () => {
    await server?.stop();
    await dropNamespace(namespace);
    await rm(dir, { recursive: true, force: true });
  });

  const logged = () =>
    new Map(
      server.stdout
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter((l) => l.msg === 'request')
        .map((l) => [l.reqId as string, l]),
    );

  it('answers every request it accepted, before and after SIGTERM', () => {
    const accepted = logged();
    const lost = outcomes.filter((o) => accepted.has(o.id) && o.status === undefined);
    expect(lost, JSON.stringify(lost.slice(0, 5))).to.deep.equal([]);
    // The requests in flight when SIGTERM arrived were answered.
    const inFlight = outcomes.filter((o) => !o.sentAfterSigterm && o.answeredAfterSigterm);
    expect(inFlight.length).to.be.at.least(1);
  });

  it('tells keep-alive clients Connection: close while draining', () => {
    const upload = outcomes.find((o) => o.id.startsWith('drain-upload-'));
    expect(upload).to.include({ status: 400, connection: 'close', answeredAfterSigterm: true });
    // Clients stop sending on their connections at once instead of until the deadline.
    const answeredAfter = outcomes.filter((o) => o.answeredAfterSigterm && o.status !== undefined);
    expect(answeredAfter.length).to.be.below(3 * 9);
  });

  it('refuses only requests it never accepted, and mostly by refusing the connection', () => {
    const accepted = logged();
    const failed = outcomes.filter((o) => o.error !== undefined);
    for (const o of failed) expect(accepted.has(o.id), o.error).to.equal(false);
    expect(failed.filter((o) => o.error === 'ECONNREFUSED')).to.have.length(8);
  });

  it('exits 0 well before SHUTDOWN_TIMEOUT_MS, without cutting connections', () => {
    expect(exitCode).to.equal(0);
    expect(exitMs).to.be.below(3000);
    const messages = server.stdout.map((l) => (JSON.parse(l) as { msg: string }).msg);
    expect(messages).not.to.include('shutdown timeout: closing remaining connections');
    expect(messages.at(-1)).to.equal('stopped');
    expect(server.stderr).to.deep.equal([]);
  });
});
