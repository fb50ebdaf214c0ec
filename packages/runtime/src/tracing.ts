import type { IncomingMessage } from "node:http";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { registerInstrumentations } from "@opentelemetry/instrumentation";
import { HttpInstrumentation } from "@opentelemetry/instrumentation-http";
import { IORedisInstrumentation } from "@opentelemetry/instrumentation-ioredis";
import { UndiciInstrumentation } from "@opentelemetry/instrumentation-undici";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor, NodeTracerProvider, type SpanProcessor } from "@opentelemetry/sdk-trace-node";
import { EnvReader, type Env } from "./env";
import { setTracingFlush } from "./tracing-flush";

export interface Tracing {
  /** Sends the spans still buffered and stops tracing. */
  shutdown(): Promise<void>;
}

/** Probes and scrapes arrive every few seconds and would bury the traces of real requests. */
const UNTRACED_PATHS = new Set(["/health", "/ready", "/metrics"]);

function untraced(req: IncomingMessage): boolean {
  return UNTRACED_PATHS.has(req.url?.split("?", 1)[0] ?? "");
}

/**
 * OpenTelemetry tracing, on only when OTEL_EXPORTER_OTLP_ENDPOINT is set (the exporter reads it and the other
 * standard OTEL_EXPORTER_OTLP_* variables). Spans: HTTP server and client (node:http and fetch), ioredis commands,
 * and @apollo/gateway's own (request, plan, fetch); the W3C `traceparent` header carries the trace to the session
 * service and every subgraph. Must run before the services load, which is why each entry point imports
 * `tracing-register` first. Not exported from the package index: only loaded when asked for.
 */
export function startTracing(
  serviceName: string,
  env: Env,
  /** Tests pass an in-memory exporter's processor; otherwise spans go to the OTLP endpoint in batches. */
  spanProcessor?: SpanProcessor,
): Tracing | null {
  if (spanProcessor === undefined && new EnvReader(env).optional("OTEL_EXPORTER_OTLP_ENDPOINT") === undefined) {
    return null;
  }
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ "service.name": serviceName }),
    spanProcessors: [spanProcessor ?? new BatchSpanProcessor(new OTLPTraceExporter())],
  });
  // Registers the AsyncLocalStorage context manager and the W3C trace-context propagator as the globals.
  provider.register();
  const unregister = registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new HttpInstrumentation({ ignoreIncomingRequestHook: untraced }),
      new UndiciInstrumentation(),
      new IORedisInstrumentation(),
    ],
  });
  const tracing: Tracing = {
    shutdown: async () => {
      unregister();
      await provider.shutdown();
    },
  };
  setTracingFlush(tracing.shutdown);
  return tracing;
}
