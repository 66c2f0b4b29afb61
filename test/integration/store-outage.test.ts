// Redis, then Postgres, stopped for 5 s under load: clients get 503s with Retry-After, never a
// 500; each outage is logged once at its start and once at its end; and
// everything works again afterwards. Runs on a Redis and a Postgres of its own.
import { expect } from 'chai';
import { describeFaults, type FaultReport, runFaults } from '../security/cases/faults.ts';
import { missingForOwnStores } from '../support/own-stores.ts';

describe('store outages under load', function () {
  this.timeout(120_000);
  let report: FaultReport;

  before(async function () {
    const missing = missingForOwnStores();
    if (missing) {
      console.log(
        `      SKIPPED: this machine cannot run a Redis and a Postgres of its own (${missing})`,
      );
      this.skip();
    }
    report = await runFaults({ outageMs: 5000 });
    for (const line of describeFaults(report)) console.log(`      ${line}`);
  });

  const all = () => Object.values(report.phases);
  const count = (status: string) => all().reduce((n, p) => n + (p.statuses[status] ?? 0), 0);

  it('never answers 500 or another 5xx but 503, and never drops a connection', () => {
    const unexpected = all().flatMap((p) =>
      Object.keys(p.statuses).filter((s) => s === 'error' || (s.startsWith('5') && s !== '503')),
    );
    expect(unexpected, report.surprises.join('\n')).to.deep.equal([]);
  });

  it('answers 503 with Retry-After while each store is down, and says which one at /readyz', () => {
    for (const [phase, store] of [
      ['redis down', 'redis'],
      ['postgres down', 'postgres'],
    ] as const) {
      const stats = report.phases[phase];
      expect(stats.statuses['503'] ?? 0, phase).to.be.greaterThan(20);
      expect(stats.readiness[`503 ${store}_unreachable`] ?? 0, phase).to.be.greaterThan(5);
    }
    expect(count('503')).to.be.greaterThan(0);
    for (const stats of all()) expect(stats.unavailableWithoutRetryAfter).to.equal(0);
  });

  it('recovers by itself: every flow completes once both stores are back', () => {
    const after = report.phases.after;
    expect(after.flowsCompleted).to.be.greaterThan(0);
    expect(after.flowsInterrupted).to.equal(0);
    expect(Object.keys(after.statuses).sort()).to.deep.equal(['200', '303']);
    expect(after.readiness).to.have.keys('200');
  });

  it('logs each outage on one line when it starts and one when it ends, with its duration', () => {
    for (const store of ['redis', 'postgres'] as const) {
      const log = report.outageLog[store];
      expect(log.down, store).to.equal(1);
      expect(log.up, store).to.equal(1);
      expect(log.downMs[0], store).to.be.within(4000, 9000);
    }
  });

  it('writes only JSON lines, nothing on stderr, and exits 0', () => {
    expect(report.stderr).to.deep.equal([]);
    expect(report.nonJson).to.deep.equal([]);
    expect(report.exitCode).to.equal(0);
  });
});
