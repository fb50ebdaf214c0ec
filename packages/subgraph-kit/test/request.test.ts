import type { GatewayRequestRejected } from "../src";
import {
  ANONYMOUS,
  GATEWAY_CONTEXT_HEADER,
  SESSION_ID_HEADER,
  USER_ID_HEADER,
  USER_PERMISSIONS_HEADER,
  createGatewayRequestVerifier,
  signContext,
  type ContextSigningKey,
  type Identity,
  type VerifiedContext,
} from "../src";
import { generateGatewayKeys } from "../src/testing";

const alice: Identity = { authenticated: true, userId: "u-alice", permissions: ["documents:read"], sessionId: "s-1" };

function headersFor(identity: Identity, token: string): string[] {
  const raw = [GATEWAY_CONTEXT_HEADER, token];
  if (identity.authenticated) {
    raw.push(
      USER_ID_HEADER,
      identity.userId,
      USER_PERMISSIONS_HEADER,
      identity.permissions.join(","),
      SESSION_ID_HEADER,
      identity.sessionId,
    );
  }
  return raw;
}

describe("gateway request verification", () => {
  let nowMs = Date.UTC(2026, 0, 1);
  const clock = { now: () => new Date(nowMs), advance: (ms: number) => (nowMs += ms) };
  let gatewayKey: ContextSigningKey;
  let strangerKey: ContextSigningKey;
  let verify: (raw: readonly string[]) => Promise<VerifiedContext>;

  beforeAll(async () => {
    const gateway = await generateGatewayKeys();
    gatewayKey = gateway.signingKey;
    strangerKey = (await generateGatewayKeys(gateway.signingKey.kid)).signingKey;
    verify = createGatewayRequestVerifier({
      jwks: gateway.jwks,
      audience: "documents",
      currentDate: clock.now,
    });
  });

  const rejection = (raw: readonly string[]) =>
    verify(raw).then(
      () => "accepted",
      (error: GatewayRequestRejected) => error.reason,
    );

  it("accepts a signed user context whose plain headers match", async () => {
    const token = await signContext(alice, "documents", gatewayKey, clock.now());
    await expect(verify(headersFor(alice, token))).resolves.toEqual({
      identity: alice,
      client: { ip: null, userAgent: null },
    });
  });

  it("accepts a signed anonymous context, telling the gateway apart from anyone else", async () => {
    const token = await signContext(ANONYMOUS, "documents", gatewayKey, clock.now());
    await expect(verify(headersFor(ANONYMOUS, token))).resolves.toEqual({
      identity: ANONYMOUS,
      client: { ip: null, userAgent: null },
    });
  });

  it("refuses bare identity headers without a signed context", async () => {
    await expect(rejection([USER_ID_HEADER, "u-alice", USER_PERMISSIONS_HEADER, "users:admin"])).resolves.toBe(
      "missing-context",
    );
  });

  it("refuses a context signed by a key the gateway does not publish", async () => {
    const token = await signContext(alice, "documents", strangerKey, clock.now());
    await expect(rejection(headersFor(alice, token))).resolves.toBe("invalid-context");
  });

  it("refuses a context signed for another subgraph", async () => {
    const token = await signContext(alice, "auth", gatewayKey, clock.now());
    await expect(rejection(headersFor(alice, token))).resolves.toBe("invalid-context");
  });

  it("refuses an expired context, past the few seconds of clock tolerance", async () => {
    const token = await signContext(alice, "documents", gatewayKey, clock.now());
    clock.advance(66_000);
    await expect(rejection(headersFor(alice, token))).resolves.toBe("expired-context");
  });

  it("accepts a context from a gateway whose clock is a few seconds ahead", async () => {
    const token = await signContext(alice, "documents", gatewayKey, new Date(clock.now().getTime() + 3_000));
    await expect(rejection(headersFor(alice, token))).resolves.toBe("accepted");
  });

  it("refuses plain headers that disagree with the signed claims", async () => {
    const token = await signContext(alice, "documents", gatewayKey, clock.now());
    const raw = headersFor(alice, token).map((value) =>
      value === "documents:read" ? "documents:read,users:admin" : value,
    );
    await expect(rejection(raw)).resolves.toBe("header-mismatch");
    const anonymousToken = await signContext(ANONYMOUS, "documents", gatewayKey, clock.now());
    await expect(rejection([GATEWAY_CONTEXT_HEADER, anonymousToken, "X-User-Id", "u-alice"])).resolves.toBe(
      "header-mismatch",
    );
  });

  it("refuses a duplicated identity header, whatever its case", async () => {
    const token = await signContext(alice, "documents", gatewayKey, clock.now());
    await expect(rejection([...headersFor(alice, token), "X-USER-ID", "u-mallory"])).resolves.toBe("duplicate-header");
  });
});

describe("client information in the context", () => {
  it("travels signed, so a subgraph records the IP and user agent the gateway saw", async () => {
    const { signingKey: key, jwks } = await generateGatewayKeys();
    const verify = createGatewayRequestVerifier({ jwks, audience: "session" });
    const token = await signContext(ANONYMOUS, "session", key, new Date(), {
      ip: "203.0.113.7",
      userAgent: "x".repeat(1000),
    });
    const { client } = await verify([GATEWAY_CONTEXT_HEADER, token]);
    expect(client.ip).toBe("203.0.113.7");
    expect(client.userAgent).toHaveLength(256);
  });
});
