/** Tracing into memory, started before anything loads http or ioredis (the fixture imports this module first). */
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-node";
import { startTracing } from "@fedsession/runtime/src/tracing";

export const exporter = new InMemorySpanExporter();
startTracing("fedsession", process.env, new SimpleSpanProcessor(exporter));
