// StoreOutages: one log line when an outage starts, one when it ends, whatever happens between.
import { expect } from 'chai';
import { StoreOutages } from '../../src/db/store-outages.ts';
import { capturingLogger } from '../support/captured-logs.ts';

const until = async (check: () => boolean, ms = 2000) => {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('StoreOutages', () => {
  it('logs the start once for many failures, probes until the store answers, then logs the end', async () => {
    const { lines, logger } = capturingLogger();
    let redisUp = false;
    let probes = 0;
    const outages = new StoreOutages(
      logger,
      {
        postgres: async () => {},
        redis: async () => {
          probes += 1;
          if (!redisUp) throw new Error('connect ECONNREFUSED');
        },
      },
      { intervalMs: 20 },
    );
    for (let i = 0; i < 50; i++) outages.failed('redis', new Error(`failure ${i}`));
    await until(() => outages.isDown('redis'));
    expect(outages.isDown('postgres')).to.equal(false);
    await until(() => probes >= 3);
    redisUp = true;
    await until(() => !outages.isDown('redis'));
    outages.close();

    expect(lines.map((l) => l.msg)).to.deep.equal(['redis unreachable', 'redis reachable again']);
    expect(lines[0]).to.include({ level: 'warn', event: 'store.down', store: 'redis' });
    expect((lines[0]?.err as { message: string } | undefined)?.message).to.equal('failure 0');
    expect(lines[1]).to.include({ level: 'info', event: 'store.up', store: 'redis', failures: 50 });
    expect(lines[1]?.downMs).to.be.at.least(40);
  });

  it('says nothing about a failure when the store answers the probe that follows', async () => {
    const { lines, logger } = capturingLogger();
    let probes = 0;
    const fine = async () => {
      probes += 1;
    };
    const outages = new StoreOutages(logger, { postgres: fine, redis: fine });
    outages.failed('postgres', new Error('Connection terminated unexpectedly'));
    outages.failed('postgres', new Error('Connection terminated unexpectedly'));
    await until(() => probes === 1);
    await new Promise((r) => setTimeout(r, 20));
    expect(outages.isDown('postgres')).to.equal(false);
    outages.close();
    expect(lines).to.deep.equal([]);
  });

  it('ends an outage as soon as anything sees the store answer, and says nothing otherwise', async () => {
    const { lines, logger } = capturingLogger();
    const never = async () => {
      throw new Error('down');
    };
    const outages = new StoreOutages(
      logger,
      { postgres: never, redis: never },
      { intervalMs: 10_000 },
    );
    outages.answered('postgres');
    expect(lines).to.deep.equal([]);
    outages.failed('postgres', new Error('terminating connection'));
    await until(() => outages.isDown('postgres'));
    outages.answered('postgres');
    outages.answered('postgres');
    outages.close();
    expect(lines.map((l) => l.msg)).to.deep.equal([
      'postgres unreachable',
      'postgres reachable again',
    ]);
  });

  it('stays silent once closed, when closing our own connections looks like an outage', () => {
    const { lines, logger } = capturingLogger();
    const outages = new StoreOutages(logger, {
      postgres: async () => {},
      redis: async () => {},
    });
    outages.close();
    outages.failed('redis', new Error('connection closed'));
    expect(lines).to.deep.equal([]);
  });
});
