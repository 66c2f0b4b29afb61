// The real server on a Redis primary it finds through Sentinel (REDIS_URL=redis+sentinel://...):
// a Redis and a sentinel of their own on free loopback ports, a code + PKCE sign-in and a refresh.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { OFFLINE, signUpAndAuthorize } from '../support/oidc.ts';
import { freePort } from '../support/process.ts';
import { startTestServer, TEST_CLIENTS, type TestServer } from '../support/server.ts';
import { refresh, userinfoStatus } from '../support/tokens.ts';

describe('through Redis Sentinel', function () {
  this.timeout(60_000);
  const c = TEST_CLIENTS.firstParty;
  const children: ChildProcess[] = [];
  let dir = '';
  let primaryPort = 0;
  let sentinelPort = 0;
  let server: TestServer | undefined;

  async function answering(port: number): Promise<void> {
    for (let i = 0; i < 100; i += 1) {
      const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: null });
      probe.on('error', () => {});
      try {
        await probe.connect();
        await probe.ping();
        return;
      } catch {
        await sleep(50);
      } finally {
        probe.disconnect();
      }
    }
    throw new Error(`nothing answers on port ${port}`);
  }

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'latchkey-sentinel-'));
    primaryPort = await freePort();
    sentinelPort = await freePort();
    children.push(
      spawn(
        'redis-server',
        ['--port', String(primaryPort), '--bind', '127.0.0.1', '--save', '', '--dir', dir],
        { stdio: 'ignore' },
      ),
    );
    await answering(primaryPort);
    const config = path.join(dir, 'sentinel.conf');
    await writeFile(
      config,
      [
        `port ${sentinelPort}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `sentinel monitor lkprimary 127.0.0.1 ${primaryPort} 1`,
        '',
      ].join('\n'),
    );
    children.push(spawn('redis-server', [config, '--sentinel'], { stdio: 'ignore' }));
    await answering(sentinelPort);
    server = await startTestServer({
      env: { REDIS_URL: `redis+sentinel://127.0.0.1:${sentinelPort}/lkprimary` },
    });
  });

  after(async () => {
    await server?.stop();
    for (const child of children) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
    }
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });

  it('signs in with a code and PKCE and refreshes, on the primary the sentinel names', async () => {
    const running = server as TestServer;
    const redis = running.resources.redis as Redis;
    // Connected to the primary, not to the sentinel it asked.
    expect(redis.options.sentinels).to.deep.equal([{ host: '127.0.0.1', port: sentinelPort }]);
    expect(await redis.config('GET', 'port')).to.deep.equal(['port', String(primaryPort)]);

    const { tokens } = await signUpAndAuthorize(running.issuer, c, OFFLINE);
    expect(await userinfoStatus(running.issuer, tokens.access_token)).to.equal(200);
    const rotated = await refresh(running.issuer, c, tokens.refresh_token as string);
    expect(rotated.status, JSON.stringify(rotated.data)).to.equal(200);
    expect(await userinfoStatus(running.issuer, rotated.data.access_token)).to.equal(200);
  });
});
