// Metrics and tracing settings. Tracing is read twice: by the preload (src/tracing/preload.ts),
// which must decide before any other module loads, and by loadConfig with every other setting.
// METRICS_TOKEN and OTEL headers are secrets, so no problem ever echoes them.
import { isLoopbackHost } from '../net.ts';
import type { Env, Reader } from './reader.ts';

export interface MetricsSettings {
  /** A listener of its own for /metrics (METRICS_PORT); undefined: none. */
  readonly port: number | undefined;
  /** The address that listener binds to (METRICS_HOST, loopback by default). */
  readonly host: string;
  /** Bearer token /metrics requires; with it, /metrics is also served on the main port. */
  readonly token: string | undefined;
}

export interface TracingSettings {
  /** OTLP/HTTP base URL; spans are posted to {endpoint}/v1/traces as JSON. */
  readonly endpoint: string;
  readonly serviceName: string;
}

export const MIN_METRICS_TOKEN_CHARS = 32;
const DEFAULT_SERVICE_NAME = 'latchkey';

export function readMetrics(r: Reader, mainPort: number): MetricsSettings {
  const portText = r.raw('METRICS_PORT');
  let port: number | undefined;
  if (portText !== undefined) {
    const value = Number(portText);
    if (!/^\d+$/.test(portText) || value < 1 || value > 65535) {
      r.problems.push(`METRICS_PORT must be an integer from 1 to 65535 (got "${portText}")`);
    } else if (value === mainPort) {
      r.problems.push(`METRICS_PORT must differ from PORT (both are ${value})`);
    } else {
      port = value;
    }
  }
  const host = r.raw('METRICS_HOST') ?? '127.0.0.1';
  if (!/^[A-Za-z0-9.:_-]{1,253}$/.test(host)) {
    r.problems.push('METRICS_HOST must be an address or host name to listen on, e.g. 0.0.0.0');
  }
  const token = r.raw('METRICS_TOKEN');
  if (token !== undefined && (token.length < MIN_METRICS_TOKEN_CHARS || /\s/.test(token))) {
    r.problems.push(
      `METRICS_TOKEN must be at least ${MIN_METRICS_TOKEN_CHARS} characters without spaces (make one with: openssl rand -hex 32)`,
    );
  }
  return { port, host, token: token !== undefined && !/\s/.test(token) ? token : undefined };
}

/** Whether the metrics listener may be reached from other hosts without a token. */
export function metricsExposed(settings: MetricsSettings): boolean {
  const host = settings.host.replace(/^\[|\]$/g, '');
  return settings.port !== undefined && settings.token === undefined && !isLoopbackHost(host);
}

/**
 * Tracing from OTEL_EXPORTER_OTLP_ENDPOINT (unset: off), with the problems found. Takes the
 * environment map itself so the preload can call it before anything else is loaded.
 */
export function readTracing(env: Env = process.env): {
  settings: TracingSettings | undefined;
  problems: string[];
} {
  const problems: string[] = [];
  const value = (name: string) => {
    const text = env[name]?.trim();
    return text === '' ? undefined : text;
  };
  const endpoint = value('OTEL_EXPORTER_OTLP_ENDPOINT');
  const serviceName = value('OTEL_SERVICE_NAME') ?? DEFAULT_SERVICE_NAME;
  if (!/^[\x21-\x7e ]{1,100}$/.test(serviceName)) {
    problems.push('OTEL_SERVICE_NAME must be 1-100 printable ASCII characters');
  }
  const protocol = value('OTEL_EXPORTER_OTLP_PROTOCOL');
  if (protocol !== undefined && protocol !== 'http/json') {
    problems.push(
      `OTEL_EXPORTER_OTLP_PROTOCOL must be http/json, the only protocol Latchkey exports with (got "${protocol}")`,
    );
  }
  if (endpoint === undefined) return { settings: undefined, problems };
  const url = URL.parse(endpoint);
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.search || url.hash) {
    problems.push(
      'OTEL_EXPORTER_OTLP_ENDPOINT must be an http(s) URL without query, e.g. http://otel-collector:4318',
    );
    return { settings: undefined, problems };
  }
  return {
    settings: { endpoint: endpoint.replace(/\/+$/, ''), serviceName },
    problems,
  };
}
