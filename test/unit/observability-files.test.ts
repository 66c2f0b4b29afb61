// docker/observability/: every metric the alert rules and the dashboard query is one Latchkey
// exports, every recorded series the dashboard reads is defined, and the dashboard is well formed.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { METRIC_NAMES, PrometheusMetrics } from '../../src/metrics/prometheus.ts';

const DIR = path.resolve(import.meta.dirname, '../../docker/observability');
const rules = readFileSync(path.join(DIR, 'alerts.yml'), 'utf8');
const dashboard = JSON.parse(readFileSync(path.join(DIR, 'grafana-dashboard.json'), 'utf8')) as {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: { name: string }[] };
};

interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { uid?: string };
  targets?: { expr: string; refId: string }[];
  panels?: Panel[];
}

const panels = (list: Panel[]): Panel[] => list.flatMap((p) => [p, ...panels(p.panels ?? [])]);
const queries = panels(dashboard.panels).flatMap((p) => (p.targets ?? []).map((t) => t.expr));
/** Names of exported series: ours, prom-client's process metrics, and Prometheus's `up`. */
const SERIES = /\b(?:latchkey|process|nodejs)_[a-z0-9_]+\b/g;
const RECORDED = /\blatchkey:[a-z0-9_:]+\b/g;

/** The metric a series belongs to: histogram series carry _bucket, _sum or _count. */
function metricOf(series: string, known: ReadonlySet<string>): string | undefined {
  if (known.has(series)) return series;
  const base = series.replace(/_(bucket|sum|count)$/, '');
  return known.has(base) ? base : undefined;
}

describe('docker/observability', () => {
  let known: Set<string>;
  before(async () => {
    const metrics = new PrometheusMetrics();
    known = new Set((await metrics.registry.getMetricsAsJSON()).map((m) => m.name));
  });

  it('registers every metric Latchkey defines', () => {
    for (const name of METRIC_NAMES) expect(known, name).to.include(name);
  });

  it('alerts only on metrics that exist', () => {
    const used = new Set(rules.match(SERIES));
    expect(used.size).to.be.greaterThan(10);
    for (const series of used) {
      expect(metricOf(series, known), `alerts.yml uses ${series}`).to.not.equal(undefined);
    }
  });

  it('has a rule for each SLO and for instance down, errors, stores and the bcrypt queue', () => {
    for (const alert of [
      'LatchkeySignInErrorBudgetFastBurn',
      'LatchkeyTokenLatencyBudgetFastBurn',
      'LatchkeyTokenLatencyP99High',
      'LatchkeyInstanceDown',
      'LatchkeyHighErrorRate',
      'LatchkeyRedisSlow',
      'LatchkeyPostgresSlow',
      'LatchkeyPasswordHashingQueueSlow',
    ]) {
      expect(rules, alert).to.include(`- alert: ${alert}\n`);
    }
  });

  it('charts only metrics that exist and recorded series the rules define', () => {
    expect(queries.length).to.be.greaterThan(20);
    const recorded = new Set([...rules.matchAll(/- record: (\S+)/g)].map((m) => m[1]));
    for (const expr of queries) {
      for (const series of expr.match(SERIES) ?? []) {
        expect(metricOf(series, known), `the dashboard uses ${series}`).to.not.equal(undefined);
      }
      for (const series of expr.match(RECORDED) ?? []) {
        expect(recorded, `the dashboard reads ${series}`).to.include(series);
      }
    }
  });

  it('charts every metric family Latchkey defines', () => {
    const charted = new Set(
      queries.flatMap((q) => (q.match(SERIES) ?? []).map((s) => metricOf(s, known))),
    );
    for (const name of METRIC_NAMES) expect(charted, name).to.include(name);
  });

  it('is a Grafana dashboard: unique panel ids, a Prometheus data source variable, queries with ids', () => {
    expect(dashboard.uid).to.equal('latchkey-overview');
    expect(dashboard.templating.list.map((v) => v.name)).to.include('datasource');
    const all = panels(dashboard.panels);
    expect(new Set(all.map((p) => p.id)).size).to.equal(all.length);
    for (const panel of all.filter((p) => p.type !== 'row')) {
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable, not a template.
      expect(panel.datasource?.uid, panel.title).to.equal('${datasource}');
      expect(panel.targets, panel.title).to.have.length.greaterThan(0);
      for (const target of panel.targets ?? []) expect(target.refId).to.match(/^[A-Z]$/);
    }
  });
});
