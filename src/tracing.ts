// Traces (issue 18): when OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is
// set, the process registers the OpenTelemetry SDK and exports its spans over OTLP/HTTP. Unset,
// nothing of the SDK is even loaded — it sits behind a dynamic import — and the code's spans
// (src/spans.ts) meet the API's no-op tracer. The SDK itself reads the standard OTEL_* variables
// (endpoint, headers, timeouts, OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES); OTEL_SDK_DISABLED=true
// turns it all off. An endpoint that is not an http(s) URL is refused at start, with its name.
import { ConfigError } from './env-reader.js';
import type { Logger } from './logger.js';
import { settledWithin } from './timeout.js';

export interface Tracing {
  /** True when spans are exported. */
  readonly enabled: boolean;
  /** Exports the spans still buffered and stops; bounded by FLUSH_TIMEOUT_MS, never throws. */
  shutdown(): Promise<void>;
}

/** The longest a stopping process waits for its last spans to be exported. */
const FLUSH_TIMEOUT_MS = 3000;

export interface TracingOptions {
  /** `service.name` (OTEL_SERVICE_NAME, read by the SDK, wins): diary-events-<command>. */
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
  return endpointOf(env) !== undefined;
}

function endpointOf(env: Readonly<Record<string, string | undefined>>): { name: string; value: string } | undefined {
  for (const name of ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'OTEL_EXPORTER_OTLP_ENDPOINT']) {
    const value = env[name]?.trim();
    if (value) return { name, value };
  }
  return undefined;
}

/** The collector's host, for the start-up line; a value the exporter could not use is a ConfigError. */
function collectorHost(env: Readonly<Record<string, string | undefined>>): string {
  const { name, value } = endpointOf(env) as { name: string; value: string };
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  // Unparsable, the exporter would fall back to localhost:4318 without a word; `collector:4318`
  // parses with the scheme `collector:` and fails on every export.
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new ConfigError(`Invalid ${name}="${value}": expected an http(s) URL such as http://collector:4318`);
  }
  return url.host;
}

export async function startTracing(options: TracingOptions): Promise<Tracing> {
  const env = options.env ?? process.env;
  if (!tracesWanted(env)) return OFF;
  const collector = collectorHost(env);
  const { startSdk } = await import('./tracing-sdk.js');
  const sdk = startSdk({ serviceName: options.serviceName, version: options.version, instance: options.instance, logger: options.logger, collector });
  let stopping: Promise<void> | undefined;
  return {
    enabled: true,
    shutdown() {
      stopping ??= (async () => {
        const flushed = await settledWithin(sdk.shutdown(), FLUSH_TIMEOUT_MS);
        if (!flushed) options.logger.warn({ timeout_ms: FLUSH_TIMEOUT_MS }, 'spans not exported in time at shutdown; dropped');
      })();
      return stopping;
    },
  };
}
