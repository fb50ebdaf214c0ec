import { createServiceTokenSigner, createServiceTokenVerifier, signServiceToken } from "../src";
import { generateGatewayKeys } from "../src/testing";

describe("service tokens", () => {
  it("are reused for ten seconds, verify for the named caller only, and stop verifying when expired", async () => {
    const gateway = await generateGatewayKeys();
    const auth = await generateGatewayKeys();
    let nowMs = Date.UTC(2026, 0, 1);
    const now = () => new Date(nowMs);
    const sign = createServiceTokenSigner("gateway", "session", gateway.signingKey, now);
    const first = await sign();
    expect(await sign()).toBe(first);
    const fromGateway = createServiceTokenVerifier({
      from: "gateway",
      to: "session",
      jwks: gateway.jwks,
      currentDate: now,
    });
    const fromAuth = createServiceTokenVerifier({
      from: "auth",
      to: "session",
      jwks: auth.jwks,
      currentDate: now,
    });
    await expect(fromGateway(first)).resolves.toBe(true);
    await expect(fromAuth(first)).resolves.toBe(false);
    const forged = await signServiceToken("gateway", "session", auth.signingKey, now());
    await expect(fromGateway(forged)).resolves.toBe(false);
    nowMs += 10_000;
    expect(await sign()).not.toBe(first);
    // Past its expiry and the few seconds of clock tolerance.
    nowMs += 26_000;
    await expect(fromGateway(first)).resolves.toBe(false);
  });
});
