// Several instances behind a load balancer: which instance answered each request (a response
// header the balancer sets), the CPU each container used (its cgroup's CPU accounting file), and
// each flow's throughput against a run of the same flows at another scale (a previous --json
// report).
import { readFileSync } from 'node:fs';
import type { FlowResult } from './report.ts';
import { round1, round3 } from './stats.ts';

/**
 * CPU milliseconds in a cgroup's accounting file: cgroup v2's cpu.stat (`usage_usec N`) or
 * cgroup v1's cpuacct.usage (one number, nanoseconds).
 */
export function parseCpuUsage(text: string): number {
  const usec = /^usage_usec (\d+)$/m.exec(text);
  if (usec) return Number(usec[1]) / 1000;
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) / 1e6;
  throw new Error(`neither cpu.stat nor cpuacct.usage: "${trimmed.slice(0, 60)}"`);
}

/**
 * CPU milliseconds of every named cgroup file, read now. A stopped container has no cgroup: its
 * name is left out.
 */
export function readCpu(files: Readonly<Record<string, string>>): Record<string, number> {
  const read: Record<string, number> = {};
  for (const [name, file] of Object.entries(files)) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw error;
    }
    read[name] = parseCpuUsage(text);
  }
  return read;
}

/**
 * What each counter grew by between two readings, for the names read both times (a container
 * stopped or started in between has no figure).
 */
export function difference(
  before: Readonly<Record<string, number>>,
  after: Readonly<Record<string, number>>,
): Record<string, number> {
  return Object.fromEntries(
    Object.entries(after)
      .filter(([name]) => before[name] !== undefined)
      .map(([name, value]) => [name, value - (before[name] ?? 0)]),
  );
}

/** Adds counters by name (phases of the same flow). */
export function addCounts(
  into: Record<string, number>,
  more: Readonly<Record<string, number>>,
): Record<string, number> {
  for (const [name, value] of Object.entries(more)) into[name] = (into[name] ?? 0) + value;
  return into;
}

/** Each name's share of the total, in percent (one decimal), largest count first. */
export function shares(counts: Readonly<Record<string, number>>): Record<string, number> {
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  return Object.fromEntries(
    Object.entries(counts)
      .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
      .map(([name, n]) => [name, total === 0 ? 0 : round1((n / total) * 100)]),
  );
}

/** CPU per successful operation of each container, ms; empty without operations. */
export function perOperation(
  cpuMs: Readonly<Record<string, number>>,
  operations: number,
): Record<string, number> {
  if (operations === 0) return {};
  return Object.fromEntries(
    Object.entries(cpuMs).map(([name, ms]) => [name, round3(ms / operations)]),
  );
}

/** Sums the containers whose name matches (e.g. every Redis node) into one figure. */
export function sumMatching(values: Readonly<Record<string, number>>, pattern: RegExp): number {
  return Object.entries(values)
    .filter(([name]) => pattern.test(name))
    .reduce((a, [, v]) => a + v, 0);
}

export interface ScaleOut {
  flow: string;
  baselineOpsPerSecond: number;
  opsPerSecond: number;
  /** This run's throughput over the baseline's. */
  factor: number;
  baselineP50Ms: number;
  p50Ms: number;
  /** Instances that answered in the baseline and in this run (with --instance-header). */
  baselineInstances: number;
  instances: number;
}

type Comparable = Pick<FlowResult, 'name' | 'opsPerSecond' | 'latencyMs'> & {
  instanceShares?: Record<string, number> | null;
};

/** Each flow of this run that the baseline measured too, with its throughput factor. */
export function scaleOut(
  flows: readonly Comparable[],
  baseline: readonly Comparable[],
): ScaleOut[] {
  const answering = (f: Comparable) => Object.keys(f.instanceShares ?? {}).length;
  return flows.flatMap((f) => {
    const before = baseline.find((b) => b.name === f.name);
    if (!before || before.opsPerSecond === 0) return [];
    return [
      {
        flow: f.name,
        baselineOpsPerSecond: before.opsPerSecond,
        opsPerSecond: f.opsPerSecond,
        factor: Math.round((f.opsPerSecond / before.opsPerSecond) * 100) / 100,
        baselineP50Ms: before.latencyMs.p50,
        p50Ms: f.latencyMs.p50,
        baselineInstances: answering(before),
        instances: answering(f),
      },
    ];
  });
}

/** The flows of a report written by `npm run bench -- --json`. */
export function baselineFlows(json: string, source: string): Comparable[] {
  const parsed = JSON.parse(json) as { flows?: unknown };
  if (!Array.isArray(parsed.flows)) throw new Error(`${source} is not a bench --json report`);
  return parsed.flows as Comparable[];
}
