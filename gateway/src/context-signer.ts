import {
  CONTEXT_LIFETIME_SECONDS,
  signContext,
  type ClientInfo,
  type ContextSigningKey,
  type Identity,
} from "@fedsession/subgraph-kit";

/** A signed context is reused for half its lifetime, so a subgraph always receives one with ≥ 30 s left. */
const REUSE_MS = (CONTEXT_LIFETIME_SECONDS * 1000) / 2;
const MAX_ENTRIES = 10_000;

/**
 * Signs subgraph contexts, reusing an identical one (same identity, client and audience) signed in the last
 * 30 seconds. The context proves "the gateway says so"; whether the session is still alive is decided by the
 * per-request lookup before any context is used, so reuse never outlives a revocation.
 */
export function createContextSigner(signingKey: ContextSigningKey, now: () => number = Date.now) {
  const recent = new Map<string, { token: Promise<string>; signedAtMs: number }>();
  return (identity: Identity, client: ClientInfo, audience: string): Promise<string> => {
    const key = JSON.stringify([audience, identity, client]);
    const nowMs = now();
    const entry = recent.get(key);
    if (entry !== undefined && nowMs - entry.signedAtMs < REUSE_MS) return entry.token;
    if (recent.size >= MAX_ENTRIES) recent.clear();
    const token = signContext(identity, audience, signingKey, new Date(nowMs), client);
    recent.set(key, { token, signedAtMs: nowMs });
    return token;
  };
}

export type ContextSigner = ReturnType<typeof createContextSigner>;
