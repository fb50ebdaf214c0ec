import type { ResolvedSession } from "@fedsession/session-client";
import { metricsRecording, sessionLookupDuration, sessionLookups, type LookupOutcome } from "@fedsession/runtime";

function record(outcome: LookupOutcome, seconds: number): void {
  sessionLookups.inc({ outcome });
  sessionLookupDuration.observe({ outcome }, seconds);
}

/** A lookup answered by the gateway's session cache, with no call to the session service. */
export function recordCacheHit(): void {
  if (metricsRecording()) record("cache_hit", 0);
}

/** Times one lookup from the request's side (batching wait included) and counts its outcome. */
export function observeLookup(lookup: Promise<ResolvedSession | null>): Promise<ResolvedSession | null> {
  // Nobody can scrape this process (METRICS_PORT unset): no clock reads and no extra promise per lookup.
  if (!metricsRecording()) return lookup;
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  return lookup.then(
    (session) => {
      record(session === null ? "ended" : "session", seconds());
      return session;
    },
    (error: unknown) => {
      record("error", seconds());
      throw error;
    },
  );
}
