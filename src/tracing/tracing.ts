// Whether tracing runs in this process, as the preload (tracing/preload.ts) left it: main.ts reads
// it for the log lines' trace ids and to flush spans at shutdown. Loads no OpenTelemetry code.

export interface Tracing {
  /** The preload started the SDK (OTEL_EXPORTER_OTLP_ENDPOINT set, process started with it). */
  active: boolean;
  /** The current span's ids, for every log line written inside it; undefined when off. */
  logFields: (() => Record<string, string>) | undefined;
  /** Sends the spans still buffered and stops exporting. */
  shutdown(): Promise<void>;
}

export const tracing: Tracing = {
  active: false,
  logFields: undefined,
  shutdown: async () => {},
};
