/** Kept apart from tracing.ts so a process can flush without loading the OpenTelemetry SDK when tracing is off. */
let flush: (() => Promise<void>) | null = null;

export function setTracingFlush(action: () => Promise<void>): void {
  flush = action;
}

/** Sends the spans still buffered, if tracing is on; a process calls it after its services closed, before exit. */
export async function flushTracing(): Promise<void> {
  const action = flush;
  flush = null;
  await action?.();
}
