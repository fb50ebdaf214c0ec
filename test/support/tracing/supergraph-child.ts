/**
 * A child process for the tracing test: every subgraph and the gateway in this one process (like `pnpm start`),
 * traced into memory. Over IPC it announces the gateway URL, hands over the finished spans, and stops.
 */
import { exporter } from "./in-memory";
import { startSupergraph, stopServices } from "../../../scripts/supergraph-services";

export interface SpanRecord {
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  name: string;
  /** SpanKind: 0 internal, 1 server, 2 client. */
  kind: number;
  scope: string;
  attributes: Record<string, unknown>;
}

export type ChildMessage = { ready: string } | { spans: SpanRecord[] };

async function main(): Promise<void> {
  const { services, gatewayUrl } = await startSupergraph(process.env);
  const send = (message: ChildMessage) => process.send?.(message);
  process.on("message", (message: unknown) => {
    if (message === "reset") exporter.reset();
    if (message === "spans") {
      send({
        spans: exporter.getFinishedSpans().map((span) => ({
          traceId: span.spanContext().traceId,
          spanId: span.spanContext().spanId,
          parentSpanId: span.parentSpanContext?.spanId,
          name: span.name,
          kind: span.kind,
          scope: span.instrumentationScope.name,
          attributes: { ...span.attributes },
        })),
      });
    }
    if (message === "stop") void stopServices(services).then(() => process.exit(0));
  });
  send({ ready: gatewayUrl });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
