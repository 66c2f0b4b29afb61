// The bench's timed phase: back to back by default, at most the given rate with --rate.
import { expect } from 'chai';
import type { Flow } from '../../bench/flows.ts';
import type { HttpClient } from '../../bench/http.ts';
import { runPhase } from '../../bench/phase.ts';

function countingFlow() {
  let done = 0;
  const operation = async () => {
    done += 1;
    await new Promise((r) => setImmediate(r));
  };
  const flow: Flow = {
    name: 'client-credentials',
    origin: 'http://127.0.0.1:1',
    prepare: async () => operation,
  };
  return { flow, operation, done: () => done };
}

const http = { listeners: new Set() } as unknown as HttpClient;

describe('bench phase', () => {
  it('with a rate, starts no more operations than are due in the time given', async () => {
    const { flow, operation, done } = countingFlow();
    const result = await runPhase(flow, Array(8).fill(operation), 0.3, http, undefined, 50);
    // Starts are due at 0, 20, 40, ... 280 ms: 15 of them, whichever worker takes each.
    expect(done()).to.be.within(1, 15);
    expect(result.recorder.latencies).to.have.length(done());
  });

  it('without a rate, runs operations back to back', async () => {
    const { flow, operation, done } = countingFlow();
    await runPhase(flow, Array(2).fill(operation), 0.2, http, undefined);
    // Far more than a rate of 50 per second would allow in 200 ms.
    expect(done()).to.be.above(15);
  });
});
