// Checks docker/observability/ with promtool: the alert rules, their unit tests, the scrape config,
// and every query of the Grafana dashboard (written into a rules file of its own, since promtool
// parses PromQL only there).
//   node scripts/check-observability.ts
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const DIR = path.resolve(import.meta.dirname, '../docker/observability');

function promtool(...args: string[]): void {
  const run = spawnSync('promtool', args, { encoding: 'utf8' });
  if (run.error) {
    console.error(
      'check-observability: promtool not found; install it with: apt-get install -y --no-install-recommends prometheus (make deps)',
    );
    process.exit(1);
  }
  process.stdout.write(run.stdout);
  process.stderr.write(run.stderr);
  if (run.status !== 0) {
    console.error(`check-observability: promtool ${args.join(' ')} failed`);
    process.exit(1);
  }
}

interface Panel {
  title?: string;
  targets?: { expr?: string }[];
  panels?: Panel[];
}

/** Every query of the dashboard, with Grafana's variables given plain values. */
function dashboardQueries(file: string): { title: string; expr: string }[] {
  const dashboard = JSON.parse(readFileSync(file, 'utf8')) as { panels: Panel[] };
  const all = (panels: Panel[]): Panel[] => panels.flatMap((p) => [p, ...all(p.panels ?? [])]);
  return all(dashboard.panels).flatMap((panel) =>
    (panel.targets ?? []).map((target) => ({
      title: panel.title ?? '',
      expr: String(target.expr ?? '')
        .replaceAll('$__rate_interval', '5m')
        .replaceAll('$__range', '1h')
        .replaceAll('$instance', '.*'),
    })),
  );
}

promtool('check', 'rules', path.join(DIR, 'alerts.yml'));
promtool('test', 'rules', path.join(DIR, 'alerts.test.yml'));
promtool('check', 'config', '--syntax-only', path.join(DIR, 'prometheus.yml'));

const queries = dashboardQueries(path.join(DIR, 'grafana-dashboard.json'));
const work = mkdtempSync(path.join(tmpdir(), 'latchkey-dashboard-'));
try {
  const rules = queries
    // JSON strings are YAML double-quoted scalars.
    .map((q, i) => `      - record: dashboard_query_${i}\n        expr: ${JSON.stringify(q.expr)}`)
    .join('\n');
  const file = path.join(work, 'dashboard-queries.yml');
  writeFileSync(file, `groups:\n  - name: dashboard\n    rules:\n${rules}\n`);
  promtool('check', 'rules', file);
  process.stdout.write(`grafana-dashboard.json: ${queries.length} queries parse as PromQL\n`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
