// The bench against several instances: cgroup CPU accounting, the spread over instances, the CPU
// per operation of each container, the throughput against a baseline, and the options for them.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { HttpClient } from '../../bench/http.ts';
import {
  addCounts,
  baselineFlows,
  difference,
  parseCpuUsage,
  perOperation,
  readCpu,
  scaleOut,
  shares,
  sumMatching,
} from '../../bench/instances.ts';
import { parseOptions } from '../../bench/options.ts';
import { combinePhases, type PhaseResult } from '../../bench/phase.ts';
import { instanceLines } from '../../bench/report.ts';
import { PhaseRecorder } from '../../bench/stats.ts';

const CPU_STAT_V2 = `usage_usec 2500000
user_usec 2000000
system_usec 500000
nr_periods 0
`;

describe('bench against several instances', () => {
  describe('parseCpuUsage', () => {
    it('reads cgroup v2 cpu.stat (microseconds) as milliseconds', () => {
      expect(parseCpuUsage(CPU_STAT_V2)).to.equal(2500);
    });

    it('reads cgroup v1 cpuacct.usage (nanoseconds) as milliseconds', () => {
      expect(parseCpuUsage('1234567890\n')).to.equal(1234.56789);
    });

    it('refuses anything else', () => {
      expect(() => parseCpuUsage('user 12\nsystem 3\n')).to.throw(/cpu\.stat/);
    });
  });

  describe('readCpu', () => {
    it('reads every file and leaves out a container that has no cgroup (stopped)', () => {
      const dir = mkdtempSync(join(tmpdir(), 'bench-cpu-'));
      try {
        writeFileSync(join(dir, 'a'), CPU_STAT_V2);
        writeFileSync(join(dir, 'b'), '3000000\n');
        expect(
          readCpu({ idp1: join(dir, 'a'), 'redis-1': join(dir, 'b'), idp2: join(dir, 'gone') }),
        ).to.deep.equal({ idp1: 2500, 'redis-1': 3 });
      } finally {
        rmSync(dir, { recursive: true });
      }
    });
  });

  it('difference keeps only the names read both times', () => {
    expect(difference({ idp1: 100, idp2: 50 }, { idp1: 130, idp3: 10 })).to.deep.equal({
      idp1: 30,
    });
  });

  it('addCounts adds by name', () => {
    expect(addCounts({ idp1: 2 }, { idp1: 3, idp2: 1 })).to.deep.equal({ idp1: 5, idp2: 1 });
  });

  it('shares gives percentages, largest first, and zeros for no requests', () => {
    const result = shares({ idp2: 1, idp1: 2, idp3: 1 });
    expect(result).to.deep.equal({ idp1: 50, idp2: 25, idp3: 25 });
    expect(Object.keys(result)).to.deep.equal(['idp1', 'idp2', 'idp3']);
    expect(shares({ idp1: 0 })).to.deep.equal({ idp1: 0 });
  });

  it('perOperation divides by the operations, and gives nothing without any', () => {
    expect(perOperation({ idp1: 10, 'redis-1': 1 }, 4)).to.deep.equal({
      idp1: 2.5,
      'redis-1': 0.25,
    });
    expect(perOperation({ idp1: 10 }, 0)).to.deep.equal({});
  });

  it('sumMatching adds the containers a pattern names', () => {
    expect(sumMatching({ 'redis-1': 1, 'redis-2': 2, idp1: 5 }, /^redis-/)).to.equal(3);
  });

  it('combinePhases adds the instances and the containers of every phase', () => {
    const phase = (instances: Record<string, number>, cpu: Record<string, number>) =>
      ({
        recorder: new PhaseRecorder(),
        elapsedMs: 1000,
        requests: 1,
        benchCpuMs: 1,
        serverCpuMs: undefined,
        redisCpuMs: undefined,
        machineBusy: undefined,
        instances,
        containerCpuMs: cpu,
      }) satisfies PhaseResult;
    const combined = combinePhases([
      phase({ idp1: 2 }, { idp1: 10 }),
      phase({ idp1: 1, idp2: 3 }, { idp1: 5 }),
    ]);
    expect(combined.instances).to.deep.equal({ idp1: 3, idp2: 3 });
    expect(combined.containerCpuMs).to.deep.equal({ idp1: 15 });
  });

  describe('scaleOut', () => {
    const flow = (name: string, ops: number, p50: number, instances: string[]) => ({
      name: name as 'sso',
      opsPerSecond: ops,
      latencyMs: { count: 1, mean: p50, p50, p90: p50, p99: p50, max: p50 },
      instanceShares: Object.fromEntries(instances.map((i) => [i, 100 / instances.length])),
    });

    it('gives each flow measured in both runs its throughput factor', () => {
      const result = scaleOut(
        [flow('sso', 300, 20, ['idp1', 'idp2', 'idp3']), flow('refresh', 50, 5, ['idp1'])],
        [flow('sso', 200, 30, ['idp1'])],
      );
      expect(result).to.deep.equal([
        {
          flow: 'sso',
          baselineOpsPerSecond: 200,
          opsPerSecond: 300,
          factor: 1.5,
          baselineP50Ms: 30,
          p50Ms: 20,
          baselineInstances: 1,
          instances: 3,
        },
      ]);
    });

    it('skips a baseline flow that did nothing', () => {
      expect(scaleOut([flow('sso', 300, 20, [])], [flow('sso', 0, 0, [])])).to.deep.equal([]);
    });
  });

  it('baselineFlows takes the flows of a --json report and refuses anything else', () => {
    expect(baselineFlows('{"flows":[{"name":"sso"}]}', 'one.json')).to.deep.equal([
      { name: 'sso' },
    ]);
    expect(() => baselineFlows('{"a":1}', 'x.json')).to.throw(/x\.json is not a bench/);
  });

  it('instanceLines prints the spread, the CPU per container and the factor', () => {
    const lines = instanceLines({
      baseline: 'one.json',
      flows: [
        {
          name: 'sso',
          instanceShares: { idp1: 50, idp2: 50 },
          containerCpuMsPerOperation: { idp1: 1, 'redis-1': 0.5, 'redis-2': 0.25 },
        } as never,
      ],
      scaleOut: [
        {
          flow: 'sso',
          baselineOpsPerSecond: 100,
          opsPerSecond: 150,
          factor: 1.5,
          baselineP50Ms: 10,
          p50Ms: 8,
          baselineInstances: 1,
          instances: 2,
        },
      ],
    }).join('\n');
    expect(lines).to.match(/sso\s+50\.0%\s+50\.0%/);
    expect(lines).to.match(/sso\s+1\.000\s+0\.500\s+0\.250\s+0\.750\s+1\.750/);
    expect(lines).to.match(/sso\s+100\.0\s+150\.0\s+1\.50x\s+10\.0\s+8\.0\s+1 -> 2/);
  });

  describe('options', () => {
    const external = [
      '--issuer=http://balancer:3000',
      '--client-id=a',
      '--client-secret=s',
      '--redirect-uri=http://127.0.0.1/cb',
      '--second-client-id=b',
      '--second-client-secret=t',
      '--second-redirect-uri=http://127.0.0.1/cb2',
      '--flows=sso',
    ];

    it('takes the options of a run against several instances', () => {
      const options = parseOptions([
        ...external,
        '--mail-api=http://mail:1080/',
        '--instance-header=X-Latchkey-Instance',
        '--cpu=idp1=/host-cgroup/a/cpu.stat',
        '--cpu=redis-1=/host-cgroup/b/cpuacct.usage',
        '--baseline=/results/one.json',
        '--save=/results/three.json',
      ]);
      if (options === 'help') throw new Error('help');
      expect(options.mailApi).to.equal('http://mail:1080');
      expect(options.instanceHeader).to.equal('x-latchkey-instance');
      expect(options.cpuFiles).to.deep.equal({
        idp1: '/host-cgroup/a/cpu.stat',
        'redis-1': '/host-cgroup/b/cpuacct.usage',
      });
      expect(options.baseline).to.equal('/results/one.json');
      expect(options.save).to.equal('/results/three.json');
    });

    it('refuses a malformed --cpu and --mail-api without --issuer', () => {
      expect(() => parseOptions([...external, '--cpu=idp1'])).to.throw(/NAME=FILE/);
      expect(() => parseOptions(['--mail-api=http://mail:1080'])).to.throw(/needs --issuer/);
    });

    it('leaves them unset by default', () => {
      const options = parseOptions([]);
      if (options === 'help') throw new Error('help');
      expect(options.cpuFiles).to.deep.equal({});
      expect(options.instanceHeader).to.equal(undefined);
      expect(options.mailApi).to.equal(undefined);
    });
  });

  it('HttpClient tells its listeners which instance answered', async () => {
    const server = http.createServer((_, res) => {
      res.setHeader('X-Latchkey-Instance', 'idp2');
      res.end('ok');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const client = new HttpClient(5000, 'X-Latchkey-Instance');
    const seen: (string | undefined)[] = [];
    client.listeners.add((_url, _label, _ms, instance) => seen.push(instance));
    try {
      await client.request('GET', new URL(`http://127.0.0.1:${port}/`));
      await client.axios.get(`http://127.0.0.1:${port}/`);
      expect(seen).to.deep.equal(['idp2', 'idp2']);
    } finally {
      client.close();
      await new Promise((r) => server.close(r));
    }
  });
});
