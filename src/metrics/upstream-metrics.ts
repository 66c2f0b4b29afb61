// Times every call to an upstream (Google, Facebook, X) by step and outcome.
import type { Upstreams } from '../upstreams/registry.ts';
import {
  type Upstream,
  UpstreamDenied,
  UpstreamRejected,
  UpstreamUnavailable,
} from '../upstreams/upstream.ts';
import type { Metrics, UpstreamOutcome, UpstreamStep } from './metrics.ts';

function outcomeOf(error: unknown): UpstreamOutcome {
  if (error instanceof UpstreamDenied) return 'denied';
  if (error instanceof UpstreamUnavailable) return 'unavailable';
  if (error instanceof UpstreamRejected) return 'rejected';
  return 'error';
}

function timed(upstream: Upstream, metrics: Metrics): Upstream {
  const time = async <T>(step: UpstreamStep, call: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    try {
      const result = await call();
      metrics.upstreamCall(upstream.id, step, 'success', seconds());
      return result;
    } catch (error) {
      metrics.upstreamCall(upstream.id, step, outcomeOf(error), seconds());
      throw error;
    }
  };
  return {
    id: upstream.id,
    name: upstream.name,
    authorizationUrl: (request) => time('authorize', () => upstream.authorizationUrl(request)),
    complete: (callback, request) => time('complete', () => upstream.complete(callback, request)),
  };
}

/** The same upstreams, each call timed; the upstreams themselves when metrics are off. */
export function timeUpstreams(upstreams: Upstreams, metrics: Metrics): Upstreams {
  if (!metrics.enabled) return upstreams;
  return new Map([...upstreams].map(([id, upstream]) => [id, timed(upstream, metrics)]));
}
