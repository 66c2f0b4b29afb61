// What a run measured: per-flow results, the report (JSON or tables) and the machine it ran on.
import os from 'node:os';
import { perOperation, type ScaleOut, shares, sumMatching } from './instances.ts';
import { type FlowName, type REFERENCE_FLOWS, referenceOf } from './options.ts';
import type { PhaseResult } from './phase.ts';
import { fixed, round1, round3, type Summary, summarize, table } from './stats.ts';

export interface FlowResult {
  name: FlowName;
  operations: number;
  errors: number;
  seconds: number;
  opsPerSecond: number;
  latencyMs: Summary;
  requestsPerOperation: number;
  /** CPU the server spent per successful operation (all threads, bcrypt included). */
  serverCpuMsPerOperation: number | null;
  /** Share of one core, so 200 means two busy cores. */
  serverCpuPercent: number | null;
  /** CPU the Redis server spent per operation (a local Redis serving this flow alone), else null. */
  redisCpuMsPerOperation: number | null;
  /** Share of one core used by the bench process itself. */
  benchCpuPercent: number;
  /** Share of all cores busy during the phase (server, bench, Postgres, Redis and anything else). */
  machineBusyPercent: number | null;
  requests: { label: string; perOperation: number; p50: number; p99: number; max: number }[];
  errorSamples: Record<string, number>;
  /** Percent of the flow's requests each instance answered (--instance-header), else null. */
  instanceShares: Record<string, number> | null;
  /** CPU ms per successful operation of each container given with --cpu, else null. */
  containerCpuMsPerOperation: Record<string, number> | null;
}

export function flowResult(name: FlowName, phase: PhaseResult): FlowResult {
  const { recorder, elapsedMs } = phase;
  const ops = recorder.latencies.length;
  const perOp = (n: number) => (ops === 0 ? 0 : n / ops);
  const latency = summarize(recorder.latencies);
  return {
    name,
    operations: ops,
    errors: recorder.errorCount,
    seconds: round1(elapsedMs / 1000),
    opsPerSecond: round1(ops / (elapsedMs / 1000)),
    latencyMs: {
      count: latency.count,
      mean: round1(latency.mean),
      p50: round1(latency.p50),
      p90: round1(latency.p90),
      p99: round1(latency.p99),
      max: round1(latency.max),
    },
    requestsPerOperation: round1(perOp(phase.requests)),
    serverCpuMsPerOperation:
      phase.serverCpuMs === undefined || ops === 0 ? null : round3(phase.serverCpuMs / ops),
    serverCpuPercent:
      phase.serverCpuMs === undefined ? null : Math.round((phase.serverCpuMs / elapsedMs) * 100),
    redisCpuMsPerOperation:
      phase.redisCpuMs === undefined || ops === 0 ? null : round3(phase.redisCpuMs / ops),
    benchCpuPercent: Math.round((phase.benchCpuMs / elapsedMs) * 100),
    machineBusyPercent:
      phase.machineBusy === undefined ? null : Math.round(phase.machineBusy * 100),
    requests: [...recorder.requests.entries()].map(([label, values]) => {
      const s = summarize(values);
      return {
        label,
        perOperation: Math.round(perOp(values.length) * 100) / 100,
        p50: round1(s.p50),
        p99: round1(s.p99),
        max: round1(s.max),
      };
    }),
    errorSamples: Object.fromEntries(recorder.errors),
    instanceShares: Object.keys(phase.instances).length === 0 ? null : shares(phase.instances),
    containerCpuMsPerOperation:
      Object.keys(phase.containerCpuMs).length === 0
        ? null
        : perOperation(phase.containerCpuMs, ops),
  };
}

export interface Report {
  environment: {
    node: string;
    os: string;
    cpus: number;
    cpuModel: string;
    memoryGiB: number;
    loadAverage: number[];
  };
  target: {
    issuer: string;
    ownServer: boolean;
    bcryptCost: number | null;
    serverEnv: Record<string, string>;
  };
  settings: {
    concurrency: number;
    warmupSeconds: number;
    durationSeconds: number;
    rounds: number;
    /** Each flow ran at the same time as its reference twin. */
    together: boolean;
    /** Operations started per second in each flow (--rate), or null: back to back. */
    rate: number | null;
    accounts: number;
  };
  flows: FlowResult[];
  /** Flows measured against both Latchkey and the reference. */
  comparisons: Comparison[];
  /** Each flow's throughput against --baseline (a run at another scale), else empty. */
  scaleOut: ScaleOut[];
  baseline: string | null;
  connections: { opened: number; requests: number };
  server: {
    pid: number;
    rssKiB: { boot: number; beforeFlows: number; after: number; peak: number };
    redisKeysLeft: Record<string, number>;
    logProblems: string[];
  } | null;
}

export function environment(): Report['environment'] {
  const cpus = os.cpus();
  return {
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    cpus: os.availableParallelism(),
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    memoryGiB: round1(os.totalmem() / 2 ** 30),
    loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

export const mib = (kib: number) => `${fixed(kib / 1024)} MiB`;

/** Hydra's published client-credentials throughput on 2 vCPU; the goal is 2.5 times it. */
export const HYDRA_TOKENS_PER_SECOND = 542;
export const TOKENS_GOAL = Math.round(HYDRA_TOKENS_PER_SECOND * 2.5);
/**
 * The most server CPU per operation Latchkey may spend against the reference (oidc-provider alone,
 * bench/bare-engine.ts). A password sign-in is mostly bcrypt: there the goal is to stay level.
 */
export const REFERENCE_GOALS: Readonly<Record<(typeof REFERENCE_FLOWS)[number], number>> = {
  'password-login': 1.1,
  sso: 1.25,
  refresh: 1.15,
  userinfo: 1.5,
  'client-credentials': 1.25,
};

export interface Comparison {
  flow: FlowName;
  referenceMsPerOperation: number;
  latchkeyMsPerOperation: number;
  ratio: number;
  goal: number;
  met: boolean;
}

/** Each flow measured against both servers: server CPU per operation, Latchkey over reference. */
export function referenceComparisons(flows: readonly FlowResult[]): Comparison[] {
  const comparisons: Comparison[] = [];
  for (const bare of flows) {
    const base = referenceOf(bare.name);
    const ours = flows.find((f) => f.name === base);
    if (!base || !ours?.serverCpuMsPerOperation || !bare.serverCpuMsPerOperation) continue;
    const ratio = ours.serverCpuMsPerOperation / bare.serverCpuMsPerOperation;
    const goal = REFERENCE_GOALS[base as keyof typeof REFERENCE_GOALS];
    comparisons.push({
      flow: base,
      referenceMsPerOperation: bare.serverCpuMsPerOperation,
      latchkeyMsPerOperation: ours.serverCpuMsPerOperation,
      ratio: Math.round(ratio * 100) / 100,
      goal,
      met: ratio <= goal,
    });
  }
  return comparisons;
}

/** client-credentials throughput against its goal, when the run measured it. */
export function machineComparison(flows: readonly FlowResult[], rate: number | null): string[] {
  const ours = flows.find((f) => f.name === 'client-credentials');
  if (!ours) return [];
  if (rate !== null) {
    return [
      `client-credentials: ${fixed(ours.opsPerSecond)} tokens/s (capped by --rate ${rate}: the goal of ${TOKENS_GOAL} is judged without a rate)`,
    ];
  }
  return [
    `client-credentials: ${fixed(ours.opsPerSecond)} tokens/s (goal >= ${TOKENS_GOAL}: ${ours.opsPerSecond >= TOKENS_GOAL ? 'met' : 'NOT met'})`,
  ];
}

/** The spread over instances, the CPU of each container, and the throughput against --baseline. */
export function instanceLines(report: Pick<Report, 'flows' | 'scaleOut' | 'baseline'>): string[] {
  const lines: string[] = [];
  const columns = (pick: (f: FlowResult) => Record<string, number> | null) => [
    ...new Set(report.flows.flatMap((f) => Object.keys(pick(f) ?? {}))),
  ];
  const instances = columns((f) => f.instanceShares).sort();
  if (instances.length > 0) {
    lines.push(
      "Requests answered by each instance (% of the flow's requests):",
      table([
        ['flow', ...instances],
        ...report.flows.map((f) => [
          f.name,
          ...instances.map((i) => `${fixed(f.instanceShares?.[i] ?? 0)}%`),
        ]),
      ]),
      '',
    );
  }
  const containers = columns((f) => f.containerCpuMsPerOperation);
  if (containers.length > 0) {
    const sum = (f: FlowResult, pattern: RegExp) =>
      sumMatching(f.containerCpuMsPerOperation ?? {}, pattern);
    // Several Redis nodes (a cluster's): their sum too.
    const redis = containers.filter((c) => /redis/.test(c)).length > 1;
    lines.push(
      'CPU per operation of each container (ms; its cgroup, every process in it):',
      table([
        ['flow', ...containers, ...(redis ? ['redis all'] : []), 'all'],
        ...report.flows.map((f) => [
          f.name,
          ...containers.map((c) => fixed(f.containerCpuMsPerOperation?.[c] ?? 0, 3)),
          ...(redis ? [fixed(sum(f, /redis/), 3)] : []),
          fixed(sum(f, /./), 3),
        ]),
      ]),
      '',
    );
  }
  if (report.scaleOut.length > 0) {
    lines.push(
      `Throughput against the baseline (${report.baseline}):`,
      table([
        ['flow', 'baseline ops/s', 'ops/s', 'factor', 'baseline p50', 'p50', 'instances'],
        ...report.scaleOut.map((s) => [
          s.flow,
          fixed(s.baselineOpsPerSecond),
          fixed(s.opsPerSecond),
          `${fixed(s.factor, 2)}x`,
          fixed(s.baselineP50Ms),
          fixed(s.p50Ms),
          `${s.baselineInstances || '?'} -> ${s.instances || '?'}`,
        ]),
      ]),
      '',
    );
  }
  return lines;
}

export function printReport(report: Report): void {
  const { environment: env, target, settings } = report;
  const lines: string[] = [];
  lines.push(
    `Latchkey benchmark: ${target.issuer}${
      target.ownServer
        ? ` (own server, BCRYPT_COST=${target.bcryptCost}${Object.entries(target.serverEnv)
            .map(([k, v]) => ` ${k}=${v}`)
            .join('')})`
        : ''
    }`,
    `${env.os}, Node ${env.node}, ${env.cpus} x ${env.cpuModel}, ${env.memoryGiB} GiB, load ${env.loadAverage.join(' ')} at start`,
    `${settings.concurrency} workers, ${settings.warmupSeconds} s warm-up + ${settings.durationSeconds} s per flow${settings.rounds > 1 ? ` in each of ${settings.rounds} rounds (flows take turns)` : ''}${settings.together ? ', each flow at the same time as its reference' : ''}${settings.rate === null ? '' : `, at most ${settings.rate} operations started per second in each flow`}, ${settings.accounts} accounts`,
    '',
  );
  const header = ['flow', 'ops', 'ops/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'errors'];
  const cpuHeader = [
    'req/op',
    'server CPU',
    'srv ms/op',
    'redis ms/op',
    'bench CPU',
    'machine busy',
  ];
  const rows = report.flows.map((f) => [
    f.name,
    String(f.operations),
    fixed(f.opsPerSecond),
    fixed(f.latencyMs.p50),
    fixed(f.latencyMs.p90),
    fixed(f.latencyMs.p99),
    fixed(f.latencyMs.max),
    String(f.errors),
    fixed(f.requestsPerOperation),
    f.serverCpuPercent === null ? 'n/a' : `${f.serverCpuPercent}%`,
    f.serverCpuMsPerOperation === null ? 'n/a' : fixed(f.serverCpuMsPerOperation, 3),
    f.redisCpuMsPerOperation === null ? 'n/a' : fixed(f.redisCpuMsPerOperation, 3),
    `${f.benchCpuPercent}%`,
    f.machineBusyPercent === null ? 'n/a' : `${f.machineBusyPercent}%`,
  ]);
  lines.push(
    table([[...header, ...cpuHeader], ...rows]),
    `(server and bench CPU: share of one core, all threads; redis ms/op: the local Redis's CPU, n/a with --together or a remote Redis; machine busy: share of all ${env.cpus} cores, every process)`,
    '',
  );
  const comparisons = referenceComparisons(report.flows);
  if (comparisons.length > 0) {
    lines.push(
      'Server CPU per operation against the reference (oidc-provider alone, bench/bare-engine.ts):',
      table([
        ['flow', 'reference ms/op', 'Latchkey ms/op', 'ratio', 'goal', ''],
        ...comparisons.map((c) => [
          c.flow,
          fixed(c.referenceMsPerOperation, 3),
          fixed(c.latchkeyMsPerOperation, 3),
          `${fixed(c.ratio, 2)}x`,
          `<= ${fixed(c.goal, 2)}x`,
          c.met ? 'met' : 'NOT met',
        ]),
      ]),
      '',
    );
  }
  lines.push(...instanceLines(report));
  const machine = machineComparison(report.flows, settings.rate);
  if (machine.length > 0) lines.push(...machine, '');
  lines.push('Requests per flow (latency of each HTTP request, ms):');
  const requestRows: string[][] = [['', 'per op', 'p50', 'p99', 'max']];
  for (const f of report.flows) {
    for (const r of f.requests) {
      requestRows.push([
        `  ${f.name.padEnd(15)} ${r.label}`,
        fixed(r.perOperation, 2),
        fixed(r.p50),
        fixed(r.p99),
        fixed(r.max),
      ]);
    }
  }
  lines.push(table(requestRows), '');
  for (const f of report.flows) {
    for (const [message, count] of Object.entries(f.errorSamples)) {
      lines.push(`error in ${f.name} (x${count}): ${message}`);
    }
  }
  lines.push(
    `Connections: ${report.connections.opened} opened for ${report.connections.requests} requests (keep-alive)`,
  );
  if (report.server) {
    const { rssKiB, redisKeysLeft, logProblems } = report.server;
    lines.push(
      `Server RSS: ${mib(rssKiB.boot)} after boot, ${mib(rssKiB.beforeFlows)} before the flows, ${mib(rssKiB.after)} after, peak ${mib(rssKiB.peak)}`,
      `Redis keys left by the run: ${
        Object.entries(redisKeysLeft)
          .map(([kind, n]) => `${kind} ${n}`)
          .join(', ') || 'none'
      }`,
    );
    if (logProblems.length > 0) {
      lines.push(`Server warnings/errors (${logProblems.length}):`, ...logProblems.slice(0, 10));
    }
  }
  console.log(lines.join('\n'));
}
