// One timed phase of a flow: every worker runs its operation back to back until time is up.

import type { Flow, Operation } from './flows.ts';
import type { HttpClient, RequestListener } from './http.ts';
import { addCounts, difference, readCpu } from './instances.ts';
import { interrupt } from './interrupt.ts';
import { machineTicks, procCpuMs } from './server.ts';
import { PhaseRecorder } from './stats.ts';

export interface PhaseResult {
  recorder: PhaseRecorder;
  elapsedMs: number;
  requests: number;
  benchCpuMs: number;
  serverCpuMs: number | undefined;
  /** CPU of the Redis server over the phase, when it runs on this machine and serves this flow alone. */
  redisCpuMs: number | undefined;
  /** Share of all cores that were busy, whoever used them: shows a shared or noisy machine. */
  machineBusy: number | undefined;
  /** Requests each instance answered (by the client's instance header); empty without one. */
  instances: Record<string, number>;
  /** CPU ms of each container given with --cpu over the phase; empty without them. */
  containerCpuMs: Record<string, number>;
}

/** One result for several phases of the same flow (rounds of an interleaved run). */
export function combinePhases(phases: readonly PhaseResult[]): PhaseResult {
  const recorder = new PhaseRecorder();
  for (const p of phases) recorder.add(p.recorder);
  const sum = (pick: (p: PhaseResult) => number) => phases.reduce((a, p) => a + pick(p), 0);
  const known = <T>(pick: (p: PhaseResult) => T | undefined) =>
    phases.every((p) => pick(p) !== undefined);
  const elapsedMs = sum((p) => p.elapsedMs);
  return {
    recorder,
    elapsedMs,
    requests: sum((p) => p.requests),
    benchCpuMs: sum((p) => p.benchCpuMs),
    serverCpuMs: known((p) => p.serverCpuMs) ? sum((p) => p.serverCpuMs ?? 0) : undefined,
    redisCpuMs: known((p) => p.redisCpuMs) ? sum((p) => p.redisCpuMs ?? 0) : undefined,
    machineBusy: known((p) => p.machineBusy)
      ? sum((p) => (p.machineBusy ?? 0) * p.elapsedMs) / elapsedMs
      : undefined,
    instances: phases.reduce((a, p) => addCounts(a, p.instances), {}),
    containerCpuMs: phases.reduce((a, p) => addCounts(a, p.containerCpuMs), {}),
  };
}

/**
 * Runs every worker's operation back to back until `seconds` have passed, or, with `rate`, at
 * most `rate` operations started per second: the n-th start is due n/rate seconds after the
 * phase began and goes to whichever worker is free; a start that is already due goes at once.
 */
export async function runPhase(
  flow: Flow,
  operations: Operation[],
  seconds: number,
  http: HttpClient,
  serverPid: number | undefined,
  rate?: number,
  redisPid?: number,
  cpuFiles: Readonly<Record<string, string>> = {},
): Promise<PhaseResult> {
  const recorder = new PhaseRecorder();
  let requests = 0;
  const instances: Record<string, number> = {};
  const containersBefore = readCpu(cpuFiles);
  const cpuBefore = process.cpuUsage();
  const serverBefore = serverPid === undefined ? undefined : procCpuMs(serverPid);
  const redisBefore = redisPid === undefined ? undefined : procCpuMs(redisPid);
  const machineBefore = machineTicks();
  const listener: RequestListener = (url, label, ms, instance) => {
    if (url.origin !== flow.origin) return;
    requests += 1;
    recorder.request(label, ms);
    if (instance !== undefined) instances[instance] = (instances[instance] ?? 0) + 1;
  };
  http.listeners.add(listener);
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const intervalMs = rate === undefined ? 0 : 1000 / rate;
  let starts = 0;
  /** Waits for the next start that is due; false when the next one falls after the phase. */
  const due = async (): Promise<boolean> => {
    if (intervalMs === 0) return true;
    const at = started + starts++ * intervalMs;
    if (at >= deadline) return false;
    const wait = at - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    return true;
  };
  try {
    await Promise.all(
      operations.map(async (_, worker) => {
        while (performance.now() < deadline && !interrupt.signal.aborted) {
          if (!(await due()) || interrupt.signal.aborted) break;
          const t0 = performance.now();
          try {
            await (operations[worker] as Operation)();
            recorder.success(performance.now() - t0);
          } catch (error) {
            recorder.failure(error);
            // A failed step can leave the worker's state unusable (a refresh token consumed
            // without its successor arriving): start the worker over.
            try {
              operations[worker] = await flow.prepare(worker);
            } catch (again) {
              recorder.failure(again);
              await new Promise((r) => setTimeout(r, 200));
            }
          }
        }
      }),
    );
  } finally {
    http.listeners.delete(listener);
  }
  const elapsedMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  const serverAfter = serverPid === undefined ? undefined : procCpuMs(serverPid);
  const redisAfter = redisPid === undefined ? undefined : procCpuMs(redisPid);
  const machineAfter = machineTicks();
  const containerCpuMs = difference(containersBefore, readCpu(cpuFiles));
  return {
    recorder,
    elapsedMs,
    requests,
    benchCpuMs: (cpu.user + cpu.system) / 1000,
    serverCpuMs:
      serverBefore === undefined || serverAfter === undefined
        ? undefined
        : serverAfter - serverBefore,
    redisCpuMs:
      redisBefore === undefined || redisAfter === undefined ? undefined : redisAfter - redisBefore,
    machineBusy:
      machineBefore && machineAfter && machineAfter.total > machineBefore.total
        ? (machineAfter.busy - machineBefore.busy) / (machineAfter.total - machineBefore.total)
        : undefined,
    instances,
    containerCpuMs,
  };
}
