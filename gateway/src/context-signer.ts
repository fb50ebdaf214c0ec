import {
  CONTEXT_LIFETIME_SECONDS,
  signContext,
  type ClientInfo,
  type ContextSigningKey,
  type Identity,
  VerifiedTokenCache,
} from "@fedsession/subgraph-kit";

/** A signed context is reused for half its lifetime, so a subgraph always receives one with ≥ 30 s left. */
const REUSE_MS = (CONTEXT_LIFETIME_SECONDS * 1000) / 2;
const MAX_ENTRIES = 10_000;

/**
 * Signs subgraph contexts, reusing an identical one (same identity, client and audience) signed in the last
 * 30 seconds. The context proves "the gateway says so"; whether the session is still alive is decided by the
 * per-request lookup before any context is used, so reuse never outlives a revocation. The cache drops what is past
 * reuse as it goes, so its memory follows the identities active in the last 30 s.
 */
export function createContextSigner(signingKey: ContextSigningKey, now: () => number = Date.now) {
  const recent = new VerifiedTokenCache<Promise<string>>(MAX_ENTRIES);
  return (identity: Identity, client: ClientInfo, audience: string): Promise<string> => {
    const key = JSON.stringify([audience, identity, client]);
    const nowMs = now();
    const reused = recent.get(key, nowMs);
    if (reused !== undefined) return reused;
    const token = signContext(identity, audience, signingKey, new Date(nowMs), client);
    recent.set(key, token, nowMs + REUSE_MS, nowMs);
    return token;
  };
}

export type ContextSigner = ReturnType<typeof createContextSigner>;
