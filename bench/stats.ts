// What one timed phase of a flow recorded, and the percentiles and tables made from it.

export interface Summary {
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentiles: every reported value is one that was actually measured. */
export function summarize(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  const rank = (p: number) => sorted[Math.max(0, Math.ceil((p / 100) * n) - 1)] ?? 0;
  const sum = sorted.reduce((a, b) => a + b, 0);
  return {
    count: n,
    mean: n === 0 ? 0 : sum / n,
    p50: rank(50),
    p90: rank(90),
    p99: rank(99),
    max: sorted[n - 1] ?? 0,
  };
}

const MAX_DISTINCT_ERRORS = 20;

export class PhaseRecorder {
  /** Milliseconds per successful operation. */
  readonly latencies: number[] = [];
  /** Milliseconds per HTTP request, by label ("GET /authorize 303"). */
  readonly requests = new Map<string, number[]>();
  readonly errors = new Map<string, number>();
  errorCount = 0;

  success(ms: number): void {
    this.latencies.push(ms);
  }

  request(label: string, ms: number): void {
    let list = this.requests.get(label);
    if (!list) {
      list = [];
      this.requests.set(label, list);
    }
    list.push(ms);
  }

  /** Takes in what another phase of the same flow recorded. */
  add(other: PhaseRecorder): void {
    for (const ms of other.latencies) this.latencies.push(ms);
    for (const [label, values] of other.requests) {
      for (const ms of values) this.request(label, ms);
    }
    this.errorCount += other.errorCount;
    for (const [message, count] of other.errors) {
      if (this.errors.has(message) || this.errors.size < MAX_DISTINCT_ERRORS) {
        this.errors.set(message, (this.errors.get(message) ?? 0) + count);
      }
    }
  }

  failure(error: unknown): void {
    this.errorCount += 1;
    const message = describeError(error);
    // A failing server can produce endless distinct messages (ids in them); keep the report short.
    if (this.errors.has(message) || this.errors.size < MAX_DISTINCT_ERRORS) {
      this.errors.set(message, (this.errors.get(message) ?? 0) + 1);
    }
  }
}

export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // openid-client's errors carry the OAuth error code and the HTTP status.
  const details = error as Error & { error?: unknown; status?: unknown; code?: unknown };
  const parts = [error.message];
  if (typeof details.error === 'string' && !error.message.includes(details.error)) {
    parts.push(`(${details.error})`);
  }
  if (typeof details.status === 'number') parts.push(`[HTTP ${details.status}]`);
  if (typeof details.code === 'string' && details.code.startsWith('E'))
    parts.push(`[${details.code}]`);
  return parts.join(' ').slice(0, 300);
}

/** Right-aligns every column but the first; columns are as wide as their widest cell. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  return rows
    .map((row) =>
      row
        .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export const round1 = (value: number) => Math.round(value * 10) / 10;
export const round3 = (value: number) => Math.round(value * 1000) / 1000;
export const fixed = (value: number, digits = 1) => value.toFixed(digits);
