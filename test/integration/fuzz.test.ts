// A short fuzzing run against a real server process: malformed requests on every route get an
// answer below 500, the server never drops a connection or hangs, and it logs only JSON.
import { expect } from 'chai';
import { describeFuzz, type FuzzReport, runFuzz } from '../security/cases/fuzz.ts';

describe('fuzzing every route', function () {
  this.timeout(120_000);
  let report: FuzzReport;

  before(async () => {
    report = await runFuzz({ count: 1500, seed: 20 });
  });

  it('answers every malformed request below 500, without a failed connection or a hang', () => {
    expect(report.failures, describeFuzz(report).join('\n')).to.deep.equal([]);
    const statuses = Object.keys(report.statuses).map(Number);
    expect(statuses.every((s) => s >= 200 && s < 500)).to.equal(true);
    expect(Object.values(report.statuses).reduce((a, b) => a + b, 0)).to.equal(1500);
  });

  it('reaches past the edge on most routes, not only refusals', () => {
    const deep = Object.values(report.byRoute).filter((counts) =>
      Object.keys(counts).some((s) => Number(s) < 300),
    );
    expect(deep.length).to.be.at.least(20);
  });

  it('prints nothing on stderr and only JSON on stdout, and exits 0', () => {
    expect(report.stderr).to.deep.equal([]);
    expect(report.nonJson).to.deep.equal([]);
    expect(report.exitCode).to.equal(0);
  });
});
