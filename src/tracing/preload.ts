// Loaded before everything else (`node --import ./src/tracing/preload.ts src/main.ts`): when
// OTEL_EXPORTER_OTLP_ENDPOINT is set, registers the loader hook that lets OpenTelemetry wrap
// http, koa, pg and ioredis as they load, then starts the SDK. Unset, it loads nothing more.
import { register } from 'node:module';
import { readTracing } from '../config/observability.ts';

const { settings, problems } = readTracing();
// With problems, loadConfig lists them with every other setting and the boot stops there.
if (settings && problems.length === 0) {
  // Only the modules instrumented are intercepted; every other import loads untouched.
  register('@opentelemetry/instrumentation/hook.mjs', import.meta.url, {
    data: { include: ['koa', 'ioredis', 'pg', 'pg-pool', 'http', 'node:http'] },
  });
  const { startTracing } = await import('./start-tracing.ts');
  startTracing(settings);
}
