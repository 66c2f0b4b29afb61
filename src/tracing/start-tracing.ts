// The OpenTelemetry SDK: spans of incoming HTTP requests, Koa routers, Postgres queries and Redis
// commands, exported as OTLP/HTTP JSON to {OTEL_EXPORTER_OTLP_ENDPOINT}/v1/traces. Started by
// tracing/preload.ts only; never imported when tracing is off.
import type { IncomingMessage } from 'node:http';
import { trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { KoaInstrumentation, KoaLayerType } from '@opentelemetry/instrumentation-koa';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { NodeSDK } from '@opentelemetry/sdk-node';
import type { TracingSettings } from '../config/observability.ts';
import { redactedPath, redactedQuery, redisStatement } from './redaction.ts';
import { tracing } from './tracing.ts';

export function startTracing(settings: TracingSettings): void {
  const sdk = new NodeSDK({
    serviceName: settings.serviceName,
    traceExporter: new OTLPTraceExporter({ url: `${settings.endpoint}/v1/traces` }),
    // Traces only: metrics are Prometheus's (/metrics), logs go to stdout.
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [
      new HttpInstrumentation({
        // Latchkey calls out with fetch, not node:http; the exporter's own requests are not traced.
        disableOutgoingRequestInstrumentation: true,
        // Parameter names stay, values go: codes, states, tokens and hints travel in queries;
        // ids in paths (an interaction's is also its cookie's value) become *.
        startIncomingSpanHook: (request) => {
          const { url } = request as IncomingMessage;
          const query = redactedQuery(url);
          return { 'url.path': redactedPath(url), ...(query === '' ? {} : { 'url.query': query }) };
        },
      }),
      // Router layers only: a span per middleware would cost more than it tells.
      new KoaInstrumentation({ ignoreLayersType: [KoaLayerType.MIDDLEWARE] }),
      // Statements are parameterised; values are never attached (enhancedDatabaseReporting off).
      new PgInstrumentation({ enhancedDatabaseReporting: false }),
      new IORedisInstrumentation({ dbStatementSerializer: redisStatement }),
    ],
  });
  sdk.start();
  tracing.active = true;
  tracing.logFields = (): Record<string, string> => {
    const span = trace.getActiveSpan();
    if (!span) return {};
    const { traceId, spanId } = span.spanContext();
    return { traceId, spanId };
  };
  tracing.shutdown = () => sdk.shutdown();
}
