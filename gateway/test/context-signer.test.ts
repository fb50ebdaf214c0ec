import { generateKeyMaterial, importSigningKey, publicKeys } from "@fedsession/runtime";
import { ANONYMOUS, createContextTokenVerifier, type Identity } from "@fedsession/subgraph-kit";
import { createContextSigner } from "../src/context-signer";

const alice: Identity = { authenticated: true, userId: "u-1", permissions: ["documents:read"], sessionId: "s-1" };
const client = { ip: "127.0.0.1", userAgent: "test" };

describe("the context signer", () => {
  it("reuses an identical context for 30 seconds, then signs a fresh one", async () => {
    const material = await generateKeyMaterial(true);
    let nowMs = Date.UTC(2026, 0, 1);
    const sign = createContextSigner(await importSigningKey(material, "gateway"), () => nowMs);
    const first = await sign(alice, client, "documents");
    expect(await sign(alice, client, "documents")).toBe(first);
    expect(await sign(alice, client, "auth")).not.toBe(first);
    expect(await sign(ANONYMOUS, client, "documents")).not.toBe(first);
    expect(await sign({ ...alice, permissions: [] }, client, "documents")).not.toBe(first);
    nowMs += 30_000;
    const fresh = await sign(alice, client, "documents");
    expect(fresh).not.toBe(first);
    const verify = createContextTokenVerifier({
      jwks: publicKeys(material, "gateway"),
      audience: "documents",
      currentDate: () => new Date(nowMs),
    });
    await expect(verify(fresh)).resolves.toEqual({ identity: alice, client });
  });
});
