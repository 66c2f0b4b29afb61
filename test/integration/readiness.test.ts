// /readyz is public: it names the unreachable store with a reason code, never the driver's error,
// which goes to the log once per outage.
import axios from 'axios';
import { expect } from 'chai';
import { useServer } from '../support/server.ts';

describe('readiness while a store is unreachable', () => {
  const http = axios.create({ validateStatus: () => true });

  const server = useServer();

  it('answers 503 with redis_unreachable, logs the cause once, and recovers', async () => {
    const redis = server.resources.redis;
    redis.disconnect();
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => http.get(`${server.issuer}/readyz`)),
    );
    for (const res of answers) {
      expect(res.status).to.equal(503);
      expect(res.data).to.deep.equal({
        status: 'unavailable',
        checks: { postgres: 'ok', redis: 'unreachable' },
        reason: 'redis_unreachable',
      });
    }
    expect(JSON.stringify(answers.map((a) => a.data))).not.to.match(/closed|ECONN|Error/i);

    await redis.connect();
    const ready = await http.get(`${server.issuer}/readyz`);
    expect(ready.status).to.equal(200);

    const down = server.logs.filter((l) => l.event === 'store.down');
    const up = server.logs.filter((l) => l.event === 'store.up');
    expect(down).to.have.length(1);
    expect(down[0]).to.include({ level: 'warn', store: 'redis', msg: 'redis unreachable' });
    expect((down[0]?.err as { message?: string } | undefined)?.message).to.be.a('string');
    expect(up).to.have.length(1);
    expect(up[0]).to.include({ store: 'redis', msg: 'redis reachable again' });
    expect(up[0]?.downMs).to.be.a('number');
  });

  it('answers 503 with shutting_down once draining has begun', async () => {
    server.latchkey.startDraining();
    const res = await http.get(`${server.issuer}/readyz`);
    expect(res.status).to.equal(503);
    expect(res.data).to.deep.equal({ status: 'unavailable', reason: 'shutting_down' });
  });
});
