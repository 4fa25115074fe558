// The OpenTelemetry SDK as src/tracing.ts starts it, loaded only when traces are wanted: a
// tracer provider with a batching processor and the OTLP/HTTP exporter, registered as the global
// provider together with the AsyncLocalStorage context manager (so a span started in a handler is
// the parent of the spans started below it) and the W3C propagator.
import { diag, DiagLogLevel } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { defaultResource, detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import type { Logger } from './logger.js';

export interface SdkOptions {
  serviceName: string;
  version: string;
  instance: string;
  logger: Logger;
  /** host:port of the collector, for the start-up line. */
  collector: string;
}

export function startSdk(options: SdkOptions): { shutdown(): Promise<void> } {
  // The SDK reports failed exports through its diagnostics channel, silent by default: they go to
  // our log as warnings (a collector that is down must not be invisible, nor fatal).
  const log = options.logger.child({ component: 'tracing' });
  diag.setLogger(
    {
      error: (message) => log.warn(message),
      warn: (message) => log.warn(message),
      info: () => {},
      debug: () => {},
      verbose: () => {},
    },
    DiagLogLevel.WARN,
  );
  // Timeouts, headers and the endpoint are the exporter's own OTEL_* variables: nothing here
  // overrides them. The stop is bounded in src/tracing.ts.
  const exporter = new OTLPTraceExporter();
  const provider = new NodeTracerProvider({
    // Ours first, then OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES over them, as the SDK's
    // default resource would have it.
    resource: defaultResource()
      .merge(
        resourceFromAttributes({
          [ATTR_SERVICE_NAME]: options.serviceName,
          [ATTR_SERVICE_VERSION]: options.version,
          // service.instance.id is not in the stable conventions yet.
          'service.instance.id': options.instance,
        }),
      )
      .merge(detectResources({ detectors: [envDetector] })),
    spanProcessors: [new BatchSpanProcessor(exporter)],
  });
  provider.register();
  log.info({ service: options.serviceName, collector: options.collector }, 'exporting traces over OTLP/HTTP');
  return { shutdown: () => provider.shutdown() };
}
