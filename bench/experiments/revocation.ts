import { performance } from "node:perf_hooks";
import { cookieHeader, describeFailure, postGraphQL } from "../client";
import { LOGOUT, ME_QUERY } from "../queries";
import { login, type Account } from "../seed";
import { median, percentile } from "../stats";

export interface RevocationFigures {
  samples: number;
  /** From the logout response at the client to gateway 2's first anonymous answer (that answer's latency included). */
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Samples where the very first request to gateway 2 after the logout was already anonymous. */
  immediate: number;
}

const GIVE_UP_MS = 10_000;

async function isSignedIn(gatewayUrl: string, cookie: string): Promise<boolean> {
  const reply = await postGraphQL(gatewayUrl, ME_QUERY, {}, cookieHeader(cookie));
  const me = reply.data?.me;
  if (reply.status !== 200) throw describeFailure("me", reply);
  return typeof me === "object" && me !== null;
}

/** Log in and out through gateway 1, then ask gateway 2 until the old cookie is anonymous there. */
export async function measureRevocation(
  gateway1: string,
  gateway2: string,
  account: Account,
  samples: number,
): Promise<RevocationFigures> {
  const delays: number[] = [];
  let immediate = 0;
  for (let i = 0; i < samples; i++) {
    const cookie = await login(gateway1, account);
    if (!(await isSignedIn(gateway2, cookie))) throw new Error("gateway 2 did not recognise a fresh session");
    const reply = await postGraphQL(gateway1, LOGOUT, {}, cookieHeader(cookie));
    if (reply.data?.logout !== true) throw describeFailure("logout", reply);
    const loggedOut = performance.now();
    let attempts = 0;
    for (;;) {
      attempts++;
      if (!(await isSignedIn(gateway2, cookie))) break;
      if (performance.now() - loggedOut > GIVE_UP_MS)
        throw new Error(`gateway 2 still accepted a logged-out cookie after ${GIVE_UP_MS} ms`);
    }
    delays.push(performance.now() - loggedOut);
    if (attempts === 1) immediate++;
  }
  const sorted = [...delays].sort((a, b) => a - b);
  return {
    samples,
    p50Ms: median(sorted),
    p99Ms: percentile(sorted, 99),
    maxMs: sorted[sorted.length - 1] ?? Number.NaN,
    immediate,
  };
}
