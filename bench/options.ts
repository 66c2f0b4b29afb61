// The bench's command line: flows, durations, accounts, and the server to start or to aim at.
import { parseArgs } from 'node:util';
import { DEFAULT_LIMITS } from '../src/accounts/login-throttle.ts';

/** The flows run against Latchkey. */
export const BASE_FLOWS = [
  'password-login',
  'sso',
  'refresh',
  'userinfo',
  'device',
  'client-credentials',
] as const;
export type BaseFlowName = (typeof BASE_FLOWS)[number];

/** Flows the reference (oidc-provider alone, bench/bare-engine.ts) can run too, as NAME-bare. */
export const REFERENCE_FLOWS = [
  'password-login',
  'sso',
  'refresh',
  'userinfo',
  'client-credentials',
] as const satisfies readonly BaseFlowName[];
type BareFlowName = `${(typeof REFERENCE_FLOWS)[number]}-bare`;

export const FLOW_NAMES = [
  ...BASE_FLOWS,
  ...REFERENCE_FLOWS.map((f) => `${f}-bare` as BareFlowName),
] as const;
export type FlowName = BaseFlowName | BareFlowName;

/** Without --flows: every flow, and the reference's client credentials beside Latchkey's. */
const DEFAULT_FLOWS: readonly FlowName[] = [...BASE_FLOWS, 'client-credentials-bare'];

/** The flow a NAME-bare flow runs against the reference, or undefined for Latchkey's own. */
export function referenceOf(name: FlowName): BaseFlowName | undefined {
  return name.endsWith('-bare') ? (name.slice(0, -'-bare'.length) as BaseFlowName) : undefined;
}

/** Flows that take no account: a machine client gets tokens as itself. */
export const MACHINE_FLOWS: readonly FlowName[] = ['client-credentials', 'client-credentials-bare'];

export const USAGE = `Usage: npm run bench -- [options]

  --duration SECONDS        timed run per flow (default 10)
  --warmup SECONDS          untimed run per flow before it (default 2)
  --concurrency N           workers, each one operation at a time (default 8)
  --rounds N                run the flows N times, taking turns, and add each flow's rounds up
                            (default 1): flows compared with each other then see the same
                            moments of a busy machine (the warm-up is in the first round only)
  --flows LIST              comma-separated subset of ${BASE_FLOWS.join(', ')}, and
                            NAME-bare for ${REFERENCE_FLOWS.join(', ')} (default: all of
                            the first, and client-credentials-bare)
  --reference               also run each chosen flow against the reference (NAME-bare), taking
                            turns with it, and print server CPU per operation against it
  --together                run each flow at the same time as its NAME-bare twin (each with
                            its own workers) rather than taking turns: on a machine others
                            load too, both servers then see exactly the same moments
  --rate OPS                start at most OPS operations per second in each flow (the workers
                            take evenly spaced start times; one that falls behind starts at
                            once): servers compared at the same load rather than each at its
                            own saturation, where a faster server also batches more per wake-up
  --accounts N              accounts to sign up first (default 16, or 0 with --login)
  --login EMAIL:PASSWORD    use an existing account (repeatable)
  --json                    print the results as JSON instead of tables
  --save FILE               also write the JSON report to FILE (e.g. for a later --baseline)
  --timeout SECONDS         per HTTP request (default 30)
  --device-client-id ID     device-flow client of the device flow (default bench-tv, which
                            the bench's own server registers)

  client-credentials: a machine client (client_secret_basic) asks /token for a token for its
  resource. NAME-bare: the same flow against the reference, oidc-provider alone
  (bench/bare-engine.ts: a minimal Redis adapter, accounts in memory, the same clients, secrets,
  accounts and bcrypt cost), started by the bench in the same run.
  --machine-client-id ID --machine-client-secret SECRET --machine-resource URI --machine-scope S
                            the machine client (with --issuer; the own server registers one)

  Several instances (make scale-bench runs these against docker/compose.scale.yml):
  --mail-api URL            a MailDev REST API holding the server's mail: with --issuer, the
                            accounts of --accounts are signed up and confirmed through it
  --instance-header NAME    the response header naming the instance that answered (HAProxy's
                            X-Latchkey-Instance there): the report shows each flow's spread
  --cpu NAME=FILE           a container's cgroup CPU accounting file (cgroup v2 cpu.stat or v1
                            cpuacct.usage), read before and after each phase (repeatable): the
                            report shows the CPU each one used per operation
  --baseline FILE           a --json report of the same flows at another scale (one instance):
                            the report shows each flow's throughput against it

  Own server (no --issuer):
  --bcrypt-cost N           BCRYPT_COST of the server (default 10)
  --server-env NAME=VALUE   extra environment for the server (repeatable), e.g.
                            NODE_OPTIONS=--max-old-space-size=128 or MALLOC_ARENA_MAX=2

  Running server:
  --issuer URL
  --client-id ID --client-secret SECRET --redirect-uri URI
  --second-client-id ID --second-client-secret SECRET --second-redirect-uri URI
`;

export class UsageError extends Error {}
/** The run could not get going (no sign-up, no sign-in): the message says it all. */
export class SetupError extends Error {}

export interface Options {
  durationS: number;
  warmupS: number;
  /** Times the list of flows is run, taking turns, each flow's rounds added up. */
  rounds: number;
  concurrency: number;
  flows: FlowName[];
  /** The reference was asked for (--reference): the report compares against it. */
  reference: boolean;
  /** Each flow runs at the same time as its reference twin (--together). */
  together: boolean;
  /** Operations started per second in each flow (--rate), or undefined: back to back. */
  rate: number | undefined;
  /** The client a TV signs in as in the device flow (grant type device_code, public). */
  deviceClientId: string;
  signUps: number;
  logins: Account[];
  json: boolean;
  timeoutS: number;
  bcryptCost: number;
  serverEnv: Record<string, string>;
  /** MailDev API where sign-ups on --issuer are confirmed (--mail-api). */
  mailApi: string | undefined;
  /** Response header naming the instance that answered (--instance-header), lower case. */
  instanceHeader: string | undefined;
  /** Container name to its cgroup CPU accounting file (--cpu). */
  cpuFiles: Record<string, string>;
  /** Where the JSON report is also written (--save). */
  save: string | undefined;
  /** A previous --json report to compare throughput with (--baseline). */
  baseline: string | undefined;
  external:
    | { issuer: string; first: ClientSettings; second: ClientSettings; machine?: MachineSettings }
    | undefined;
}

export interface MachineSettings {
  id: string;
  secret: string;
  resource: string;
  scope: string;
}

export interface ClientSettings {
  id: string;
  secret: string;
  redirectUri: string;
}

export interface Account {
  email: string;
  password: string;
}

function number(
  values: Record<string, unknown>,
  name: string,
  fallback: number,
  check: { min: number; max?: number; integer?: boolean },
): number {
  const text = values[name];
  if (text === undefined) return fallback;
  const value = Number(text);
  if (
    typeof text !== 'string' ||
    text.trim() === '' ||
    !Number.isFinite(value) ||
    (check.integer && !Number.isInteger(value)) ||
    value < check.min ||
    (check.max !== undefined && value > check.max)
  ) {
    const range =
      check.max === undefined ? `at least ${check.min}` : `${check.min} to ${check.max}`;
    throw new UsageError(`--${name} must be ${check.integer ? 'an integer' : 'a number'} ${range}`);
  }
  return value;
}

export function parseOptions(argv: string[]): Options | 'help' {
  const string = { type: 'string' } as const;
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      help: { type: 'boolean', short: 'h' },
      json: { type: 'boolean' },
      reference: { type: 'boolean' },
      together: { type: 'boolean' },
      duration: string,
      warmup: string,
      rounds: string,
      rate: string,
      concurrency: string,
      flows: string,
      accounts: string,
      login: { type: 'string', multiple: true },
      timeout: string,
      'bcrypt-cost': string,
      'server-env': { type: 'string', multiple: true },
      issuer: string,
      'client-id': string,
      'client-secret': string,
      'redirect-uri': string,
      'second-client-id': string,
      'second-client-secret': string,
      'second-redirect-uri': string,
      'device-client-id': string,
      'machine-client-id': string,
      'machine-client-secret': string,
      'machine-resource': string,
      'machine-scope': string,
      'mail-api': string,
      'instance-header': string,
      cpu: { type: 'string', multiple: true },
      baseline: string,
      save: string,
    },
  });
  if (values.help) return 'help';

  const chosen = (values.flows ?? DEFAULT_FLOWS.join(','))
    .split(',')
    .map((f) => f.trim())
    .filter((f) => f !== '');
  const reference = values.reference ?? false;
  // --reference: each flow the reference can run is followed by its twin.
  const flows = reference
    ? [
        ...new Set(
          chosen.flatMap((f) =>
            (REFERENCE_FLOWS as readonly string[]).includes(f) ? [f, `${f}-bare`] : [f],
          ),
        ),
      ]
    : chosen;
  for (const f of flows) {
    if (!(FLOW_NAMES as readonly string[]).includes(f)) {
      throw new UsageError(`unknown flow "${f}"; choose from ${FLOW_NAMES.join(', ')}`);
    }
  }
  if (flows.length === 0) throw new UsageError('--flows names no flow');

  const logins = (values.login ?? []).map((entry) => {
    const colon = entry.indexOf(':');
    if (colon <= 0 || colon === entry.length - 1) {
      throw new UsageError(`--login must be EMAIL:PASSWORD (got "${entry}")`);
    }
    return { email: entry.slice(0, colon), password: entry.slice(colon + 1) };
  });

  const clientKeys = [
    'client-id',
    'client-secret',
    'redirect-uri',
    'second-client-id',
    'second-client-secret',
    'second-redirect-uri',
  ] as const;
  let external: Options['external'];
  if (values.issuer !== undefined) {
    const missing = clientKeys.filter((k) => !values[k]);
    if (missing.length > 0) {
      throw new UsageError(`--issuer also needs ${missing.map((k) => `--${k}`).join(', ')}`);
    }
    if (values['bcrypt-cost'] !== undefined || values['server-env'] !== undefined) {
      throw new UsageError(
        '--bcrypt-cost and --server-env apply only to the server the bench starts itself',
      );
    }
    const issuer = URL.parse(values.issuer);
    if (!issuer || (issuer.protocol !== 'http:' && issuer.protocol !== 'https:')) {
      throw new UsageError('--issuer must be an http(s) URL');
    }
    const get = (k: (typeof clientKeys)[number]) => values[k] as string;
    const machineKeys = [
      'machine-client-id',
      'machine-client-secret',
      'machine-resource',
      'machine-scope',
    ] as const;
    const machineGiven = machineKeys.filter((k) => values[k] !== undefined);
    if (machineGiven.length > 0 && machineGiven.length < machineKeys.length) {
      throw new UsageError(
        `a machine client needs all of ${machineKeys.map((k) => `--${k}`).join(', ')}`,
      );
    }
    if (machineGiven.length === 0 && flows.some((f) => MACHINE_FLOWS.includes(f as FlowName))) {
      throw new UsageError(
        `the client-credentials flows need ${machineKeys.map((k) => `--${k}`).join(', ')} with --issuer`,
      );
    }
    external = {
      ...(machineGiven.length > 0
        ? {
            machine: {
              id: values['machine-client-id'] as string,
              secret: values['machine-client-secret'] as string,
              resource: values['machine-resource'] as string,
              scope: values['machine-scope'] as string,
            },
          }
        : {}),
      issuer: values.issuer.replace(/\/+$/, ''),
      first: {
        id: get('client-id'),
        secret: get('client-secret'),
        redirectUri: get('redirect-uri'),
      },
      second: {
        id: get('second-client-id'),
        secret: get('second-client-secret'),
        redirectUri: get('second-redirect-uri'),
      },
    };
  } else {
    const given = clientKeys.filter((k) => values[k] !== undefined);
    if (given.length > 0) {
      throw new UsageError(`${given.map((k) => `--${k}`).join(', ')} need --issuer`);
    }
    if (logins.length > 0) {
      throw new UsageError('--login needs --issuer: the server the bench starts has no accounts');
    }
  }

  const signUps = number(values, 'accounts', logins.length > 0 ? 0 : 16, { min: 0, integer: true });
  const { signUpsPerSource, windowSeconds } = DEFAULT_LIMITS;
  if (!external && signUps > signUpsPerSource) {
    throw new UsageError(
      `--accounts can be at most ${signUpsPerSource}: the server accepts ${signUpsPerSource} sign-ups per address every ${windowSeconds / 60} minutes, and workers share accounts anyway`,
    );
  }
  const serverEnv: Record<string, string> = {};
  for (const entry of values['server-env'] ?? []) {
    const eq = entry.indexOf('=');
    if (eq <= 0) throw new UsageError(`--server-env must be NAME=VALUE (got "${entry}")`);
    serverEnv[entry.slice(0, eq)] = entry.slice(eq + 1);
  }

  const cpuFiles: Record<string, string> = {};
  for (const entry of values.cpu ?? []) {
    const eq = entry.indexOf('=');
    if (eq <= 0 || eq === entry.length - 1) {
      throw new UsageError(`--cpu must be NAME=FILE (got "${entry}")`);
    }
    cpuFiles[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  if (values['mail-api'] !== undefined && !external) {
    throw new UsageError('--mail-api needs --issuer: the server the bench starts has its own');
  }

  if (signUps + logins.length === 0) {
    throw new UsageError('no accounts: set --accounts above 0 or pass --login');
  }

  return {
    durationS: number(values, 'duration', 10, { min: 0.1 }),
    warmupS: number(values, 'warmup', 2, { min: 0 }),
    rounds: number(values, 'rounds', 1, { min: 1, max: 100, integer: true }),
    concurrency: number(values, 'concurrency', 8, { min: 1, max: 1000, integer: true }),
    flows: flows as FlowName[],
    reference,
    together: values.together ?? false,
    rate: values.rate === undefined ? undefined : number(values, 'rate', 0, { min: 1 }),
    deviceClientId: values['device-client-id'] ?? 'bench-tv',
    signUps,
    logins,
    json: values.json ?? false,
    timeoutS: number(values, 'timeout', 30, { min: 0.1 }),
    bcryptCost: number(values, 'bcrypt-cost', 10, { min: 4, max: 16, integer: true }),
    serverEnv,
    mailApi: values['mail-api']?.replace(/\/+$/, ''),
    instanceHeader: values['instance-header']?.toLowerCase(),
    cpuFiles,
    baseline: values.baseline,
    save: values.save,
    external,
  };
}
