// The server process with METRICS_PORT: /metrics on a listener of its own, on loopback unless told
// otherwise, a warning when it listens further without a token, and a clean stop on SIGTERM.
import { expect } from 'chai';
import { parseExposition, sampleSum } from '../support/metrics.ts';
import { freePort, startServerProcess } from '../support/process.ts';
import { dropNamespace, serverEnv, uniqueNamespace } from '../support/server.ts';

describe('the metrics listener of the server process', () => {
  const namespace = uniqueNamespace('metrics');
  after(() => dropNamespace(namespace));

  it('serves /metrics on METRICS_PORT only, not on the main port, and stops with the server', async () => {
    const metricsPort = await freePort();
    const server = await startServerProcess(
      serverEnv({ namespace, extra: { METRICS_PORT: String(metricsPort) } }),
    );
    try {
      expect((await fetch(`${server.issuer}/metrics`)).status).to.equal(404);
      await fetch(`${server.issuer}/.well-known/openid-configuration`);
      const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
      expect(res.status).to.equal(200);
      const samples = parseExposition(await res.text());
      expect(
        sampleSum(samples, 'latchkey_http_requests_total', {
          route: '/.well-known/openid-configuration',
          status: '200',
        }),
      ).to.equal(1);
      const lines = server.stdout.map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(lines.find((l) => l.msg === 'metrics listening')).to.include({
        host: '127.0.0.1',
        port: metricsPort,
      });
      expect(lines.some((l) => l.level === 'warn' && String(l.msg).includes('metrics'))).to.equal(
        false,
      );
    } finally {
      expect(await server.stop()).to.equal(0);
    }
    const after = await fetch(`http://127.0.0.1:${metricsPort}/metrics`).catch(() => undefined);
    expect(after).to.equal(undefined);
  });

  it('warns when the listener is reachable beyond loopback without a token', async () => {
    const metricsPort = await freePort();
    const server = await startServerProcess(
      serverEnv({
        namespace,
        extra: { METRICS_PORT: String(metricsPort), METRICS_HOST: '0.0.0.0' },
      }),
    );
    try {
      const deadline = Date.now() + 5000;
      const warned = () =>
        server.stdout.some(
          (line) => line.includes('"level":"warn"') && line.includes('METRICS_TOKEN'),
        );
      while (!warned() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(warned()).to.equal(true);
    } finally {
      await server.stop();
    }
  });
});
