// Reads Prometheus text exposition: fetches /metrics with the token and finds samples by labels.
import axios from 'axios';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Every sample in a text exposition (comments skipped). */
export function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[key as string] = (value as string).replace(/\\(.)/g, (_, c: string) =>
        c === 'n' ? '\n' : c,
      );
    }
    samples.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  return samples;
}

/** The sum of the samples named `name` whose labels include `labels` (0 when none). */
export function sampleSum(
  samples: readonly Sample[],
  name: string,
  labels: Record<string, string> = {},
): number {
  return samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

/** GET {base}/metrics with the bearer token; the samples, failing unless it answered 200. */
export async function scrape(base: string, token: string): Promise<Sample[]> {
  const res = await axios.get(`${base}/metrics`, {
    headers: { authorization: `Bearer ${token}` },
    validateStatus: () => true,
    responseType: 'text',
  });
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
  return parseExposition(String(res.data));
}
