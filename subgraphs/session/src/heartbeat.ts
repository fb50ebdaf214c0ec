import { SESSION_EVENTS_HEARTBEAT_MS, type SessionEvent } from "@fedsession/session-client";
import type { Logger } from "@fedsession/runtime";

/**
 * Publishes `{ ping }` on the session-events channel every SESSION_EVENTS_HEARTBEAT_MS, so gateways that cache
 * resolves can tell a quiet channel from a dead one. Returns the function that stops it.
 */
export function startHeartbeat(
  publish: (event: SessionEvent) => Promise<void>,
  logger: Logger,
  intervalMs: number = SESSION_EVENTS_HEARTBEAT_MS,
  now: () => number = Date.now,
): () => void {
  const beat = () => {
    publish({ ping: now() }).catch((error: unknown) =>
      logger.warn("heartbeat_failed", { message: error instanceof Error ? error.message : String(error) }),
    );
  };
  beat();
  const timer = setInterval(beat, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
