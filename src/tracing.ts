// Traces (issue 18): when OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is
// set, the process registers the OpenTelemetry SDK and exports its spans over OTLP/HTTP. Unset,
// nothing of the SDK is even loaded — it sits behind a dynamic import — and the code's spans
// (src/spans.ts) meet the API's no-op tracer. The exporter itself reads the standard OTEL_*
// variables (endpoint, headers, timeout); OTEL_SDK_DISABLED=true turns it all off.
import type { Logger } from './logger.js';
import { settledWithin } from './timeout.js';

export interface Tracing {
  /** True when spans are exported. */
  readonly enabled: boolean;
  /** Exports the spans still buffered and stops; bounded by FLUSH_TIMEOUT_MS, never throws. */
  shutdown(): Promise<void>;
}

/** The longest a stopping process waits for its last spans to be exported. */
export const FLUSH_TIMEOUT_MS = 3000;

export interface TracingOptions {
  /** `service.name` unless OTEL_SERVICE_NAME is set: diary-events-<command>. */
  serviceName: string;
  version: string;
  /** `service.instance.id` (config.instance). */
  instance: string;
  logger: Logger;
  /** @defaultValue process.env */
  env?: Readonly<Record<string, string | undefined>>;
}

const OFF: Tracing = { enabled: false, shutdown: async () => {} };

/** Whether the environment asks for traces: an OTLP endpoint is set, and the SDK is not disabled. */
export function tracesWanted(env: Readonly<Record<string, string | undefined>>): boolean {
  if ((env.OTEL_SDK_DISABLED ?? '').trim().toLowerCase() === 'true') return false;
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim());
}

export async function startTracing(options: TracingOptions): Promise<Tracing> {
  const env = options.env ?? process.env;
  if (!tracesWanted(env)) return OFF;
  const { startSdk } = await import('./tracing-sdk.js');
  const sdk = startSdk({
    serviceName: env.OTEL_SERVICE_NAME?.trim() || options.serviceName,
    version: options.version,
    instance: options.instance,
    logger: options.logger,
    exportTimeoutMs: FLUSH_TIMEOUT_MS,
  });
  let stopping: Promise<void> | undefined;
  return {
    enabled: true,
    shutdown() {
      stopping ??= (async () => {
        const flushed = await settledWithin(sdk.shutdown().catch(() => {}), FLUSH_TIMEOUT_MS);
        if (!flushed) options.logger.warn({ timeout_ms: FLUSH_TIMEOUT_MS }, 'spans not exported in time at shutdown; dropped');
      })();
      return stopping;
    },
  };
}
