// What the scale tests learn from the load balancer of docker/compose.scale.yml: which instance
// answered each request (its X-Latchkey-Instance header) and, from HAProxy's statistics, whether
// it still sends requests to an instance.
import type { AxiosInstance } from 'axios';

export const INSTANCE_HEADER = 'x-latchkey-instance';

export function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} must be set`);
  return value;
}

/** Every instance that answered, in order; `since` marks where a step began. */
export class InstanceLog {
  readonly answers: string[] = [];

  add(instance: string | null | undefined): void {
    if (instance) this.answers.push(instance);
  }

  get mark(): number {
    return this.answers.length;
  }

  /** The distinct instances that answered since `mark`. */
  since(mark: number): string[] {
    return [...new Set(this.answers.slice(mark))].sort();
  }

  /** Records the instance of every response `fetch` (openid-client) and `http` (Browser) get. */
  watch(...clients: AxiosInstance[]): void {
    for (const http of clients) {
      http.interceptors.response.use((response) => {
        this.add(response.headers[INSTANCE_HEADER] as string | undefined);
        return response;
      });
    }
  }

  watchFetch(): void {
    const original = globalThis.fetch;
    globalThis.fetch = async (input, init) => {
      const response = await original(input, init);
      this.add(response.headers.get(INSTANCE_HEADER));
      return response;
    };
  }
}

/** HAProxy's view of one server: UP, DOWN, MAINT, or UP/DOWN on the way between. */
export async function serverStatus(statsUrl: string, server: string): Promise<string | undefined> {
  const response = await fetch(statsUrl, { signal: AbortSignal.timeout(2000) });
  const [header, ...rows] = (await response.text()).trim().split('\n');
  const columns = (header ?? '').replace(/^# /, '').split(',');
  const svname = columns.indexOf('svname');
  const status = columns.indexOf('status');
  const row = rows
    .map((r) => r.split(','))
    .find((r) => r[0] === 'latchkey' && r[svname] === server);
  return row?.[status];
}
