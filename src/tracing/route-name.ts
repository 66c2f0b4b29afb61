// Names the route of the request's HTTP span (`http.route`) with the router's template, the way
// the Koa instrumentation does for routers it sees mounted one by one. Without a tracer (tracing
// off) there is no active span and this does nothing.
import { trace } from '@opentelemetry/api';

export function nameRoute(ctx: { _matchedRoute?: unknown }): void {
  const route = ctx._matchedRoute;
  if (typeof route !== 'string') return;
  trace.getActiveSpan()?.setAttribute('http.route', route);
}
