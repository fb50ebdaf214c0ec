import fc from "fast-check";
import { generateKeyMaterial, importSigningKey, publicKeys, silentLogger } from "@fedsession/runtime";
import { createAccessTokenVerifier, parseSessionToken } from "@fedsession/session-client";
import { createGatewayRequestVerifier, GatewayRequestRejected, signContext, ANONYMOUS } from "@fedsession/subgraph-kit";
import { createIdentityResolver, CredentialRefused } from "../src/identity";

const RUNS = { numRuns: 500 };
const headerText = fc.string({ unit: "binary", maxLength: 300 });
const cookieLike = fc.oneof(
  headerText,
  fc
    .tuple(fc.constantFrom("fedsession", " fedsession", "fedsession ", "FEDSESSION", "x"), headerText)
    .map(([name, value]) => `${name}=${value}`),
  fc
    .tuple(fc.string({ unit: fc.constantFrom(..."Aa0_-.="), maxLength: 80 }), fc.integer({ min: 1, max: 3 }))
    .map(([value, copies]) => Array.from({ length: copies }, () => `fedsession=${value}`).join("; ")),
);

function countingResolver() {
  const lookups: unknown[] = [];
  return {
    lookups,
    resolveFor: (verifyAccessToken: (token: string) => Promise<null>) =>
      createIdentityResolver({
        cookieName: "fedsession",
        logger: silentLogger,
        verifyAccessToken,
        sessions: {
          resolveSessions: async (credentials) => {
            lookups.push(...credentials);
            return credentials.map(() => ({ session: null }));
          },
        },
      }),
  };
}

describe("fuzzing the credential parsers", () => {
  it("turns any cookie header into anonymous, and looks up only well-formed tokens", async () => {
    await fc.assert(
      fc.asyncProperty(cookieLike, async (cookie) => {
        const { lookups, resolveFor } = countingResolver();
        const result = await resolveFor(async () => null)({ cookie });
        expect(result.identity.authenticated).toBe(false);
        for (const request of lookups) {
          expect(parseSessionToken((request as { token: string }).token)).not.toBeNull();
        }
        expect(lookups.length).toBeLessThanOrEqual(1);
      }),
      RUNS,
    );
  });

  it("answers any Authorization header that is not a valid access token with a 401 and no lookup", async () => {
    const material = await generateKeyMaterial(true);
    const verify = createAccessTokenVerifier({ jwks: publicKeys(material, "session") });
    const authorization = fc.oneof(
      headerText,
      headerText.map((text) => `Bearer ${text}`),
      fc.tuple(headerText, headerText, headerText).map((parts) => `Bearer ${parts.join(".")}`),
    );
    await fc.assert(
      fc.asyncProperty(authorization, async (header) => {
        const { lookups, resolveFor } = countingResolver();
        const outcome = await resolveFor(async (token) => (await verify(token)) as null)({
          authorization: header,
        }).then(
          () => "resolved",
          (error: unknown) => error,
        );
        expect(outcome).toBeInstanceOf(CredentialRefused);
        expect(((outcome as CredentialRefused).graphQLError.extensions.http as { status: number }).status).toBe(401);
        expect(lookups).toEqual([]);
      }),
      RUNS,
    );
  });

  it("makes the context verifier accept only the gateway's signed context and reject anything else cleanly", async () => {
    const material = await generateKeyMaterial(true);
    const verify = createGatewayRequestVerifier({ jwks: publicKeys(material, "gateway"), audience: "documents" });
    const valid = await signContext(ANONYMOUS, "documents", await importSigningKey(material, "gateway"));
    const name = fc.constantFrom(
      "x-gateway-context",
      "X-Gateway-Context",
      "x-user-id",
      "x-user-permissions",
      "x-session-id",
      "other",
    );
    const value = fc.oneof(headerText, fc.constant(valid), fc.constant(valid.slice(0, -3)));
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(name, value), { maxLength: 6 }), async (pairs) => {
        const raw = pairs.flat();
        const outcome = await verify(raw).then(
          () => "accepted",
          (error: unknown) => error,
        );
        if (outcome !== "accepted") expect(outcome).toBeInstanceOf(GatewayRequestRejected);
        else {
          const contexts = pairs.filter(([n]) => n.toLowerCase() === "x-gateway-context");
          expect(contexts).toEqual([[expect.any(String), valid]]);
        }
      }),
      RUNS,
    );
  });
});
