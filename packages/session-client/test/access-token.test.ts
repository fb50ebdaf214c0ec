import { SignJWT, importJWK, type JWK } from "jose";
import {
  generateKeyMaterial,
  importSigningKey,
  publicKeys,
  activateKeys,
  retireKeys,
  rotateKeyMaterial,
  type KeyMaterial,
} from "@fedsession/runtime";
import { TestClock } from "@fedsession/testing";
import {
  ACCESS_TOKEN_AUDIENCE,
  ACCESS_TOKEN_ISSUER,
  ACCESS_TOKEN_TYPE,
  createAccessTokenVerifier,
  formatSessionToken,
  signAccessToken,
} from "../src";

const claims = { userId: "u-1", sessionId: "s-1" };
const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");

describe("access tokens", () => {
  const clock = new TestClock(Date.UTC(2026, 5, 1));
  let material: KeyMaterial;
  let verify: ReturnType<typeof createAccessTokenVerifier>;

  beforeAll(async () => {
    material = await generateKeyMaterial(false);
    verify = createAccessTokenVerifier({ jwks: publicKeys(material, "session"), currentDate: clock.now });
  });

  const sign = async (lifetime = 600) =>
    (await signAccessToken(claims, await importSigningKey(material, "session"), lifetime, clock.now())).token;

  /** A token with every claim right except the ones overridden, signed by the session key with jose directly. */
  const forge = async (overrides: { typ?: string; aud?: string; iss?: string; sid?: string | null }) => {
    const key = await importSigningKey(material, "session");
    const now = Math.floor(clock.now().getTime() / 1000);
    const jwt = new SignJWT(overrides.sid === null ? {} : { sid: overrides.sid ?? "s-1" })
      .setProtectedHeader({ alg: "EdDSA", typ: overrides.typ ?? ACCESS_TOKEN_TYPE, kid: key.kid })
      .setIssuer(overrides.iss ?? ACCESS_TOKEN_ISSUER)
      .setAudience(overrides.aud ?? ACCESS_TOKEN_AUDIENCE)
      .setSubject("u-1")
      .setJti("j-1")
      .setIssuedAt(now)
      .setExpirationTime(now + 600);
    return jwt.sign(key.key);
  };

  it("verifies a token the session service signed, giving its user and session", async () => {
    await expect(verify(await sign())).resolves.toEqual(claims);
  });

  it("refuses a tampered payload", async () => {
    const [header, , signature] = (await sign()).split(".");
    const payload = base64url({
      sub: "u-admin",
      sid: "s-1",
      iss: ACCESS_TOKEN_ISSUER,
      aud: ACCESS_TOKEN_AUDIENCE,
      jti: "x",
      iat: 1,
      exp: 9_999_999_999,
    });
    await expect(verify(`${header}.${payload}.${signature}`)).resolves.toBeNull();
  });

  it('refuses alg "none"', async () => {
    const now = Math.floor(clock.now().getTime() / 1000);
    const header = base64url({ alg: "none", typ: ACCESS_TOKEN_TYPE });
    const payload = base64url({
      sub: "u-1",
      sid: "s-1",
      iss: ACCESS_TOKEN_ISSUER,
      aud: ACCESS_TOKEN_AUDIENCE,
      jti: "x",
      iat: now,
      exp: now + 600,
    });
    await expect(verify(`${header}.${payload}.`)).resolves.toBeNull();
  });

  it("refuses an algorithm swap to HS256 keyed with the public key", async () => {
    const publicJwk = publicKeys(material, "session").keys[0] as JWK;
    const secret = await importJWK(
      { kty: "oct", k: Buffer.from(JSON.stringify(publicJwk)).toString("base64url") },
      "HS256",
    );
    const now = Math.floor(clock.now().getTime() / 1000);
    const swapped = await new SignJWT({ sid: "s-1" })
      .setProtectedHeader({ alg: "HS256", typ: ACCESS_TOKEN_TYPE, kid: publicJwk.kid })
      .setIssuer(ACCESS_TOKEN_ISSUER)
      .setAudience(ACCESS_TOKEN_AUDIENCE)
      .setSubject("u-1")
      .setJti("j")
      .setIssuedAt(now)
      .setExpirationTime(now + 600)
      .sign(secret);
    await expect(verify(swapped)).resolves.toBeNull();
  });

  it("refuses an expired token, past the few seconds of clock tolerance", async () => {
    const token = await sign(60);
    clock.advance(63_000);
    await expect(verify(token)).resolves.not.toBeNull();
    clock.advance(3_000);
    await expect(verify(token)).resolves.toBeNull();
  });

  it("remembers a verified token, still refusing it once expired and never remembering a refused one", async () => {
    const token = await sign(60);
    await expect(verify(token)).resolves.toEqual(claims);
    await expect(verify(token)).resolves.toEqual(claims);
    const tampered = `${token.slice(0, -2)}xx`;
    await expect(verify(tampered)).resolves.toBeNull();
    await expect(verify(tampered)).resolves.toBeNull();
    clock.advance(66_000);
    await expect(verify(token)).resolves.toBeNull();
  });

  it("accepts a token from a signer whose clock is a few seconds ahead, but not far ahead", async () => {
    const key = await importSigningKey(material, "session");
    const ahead = (seconds: number) =>
      signAccessToken(claims, key, 600, new Date(clock.now().getTime() + seconds * 1000)).then(({ token }) => token);
    await expect(verify(await ahead(3))).resolves.not.toBeNull();
    await expect(verify(await ahead(30))).resolves.toBeNull();
  });

  it("refuses a wrong audience, issuer or type, and a token without a session", async () => {
    await expect(verify(await forge({ aud: "someone-else" }))).resolves.toBeNull();
    await expect(verify(await forge({ iss: "fedsession-gateway" }))).resolves.toBeNull();
    await expect(verify(await forge({ typ: "JWT" }))).resolves.toBeNull();
    await expect(verify(await forge({ sid: null }))).resolves.toBeNull();
    await expect(verify(await forge({}))).resolves.toEqual(claims);
  });

  it("refuses a token signed by a key that is not trusted", async () => {
    const stranger = await generateKeyMaterial(false);
    const token = (await signAccessToken(claims, await importSigningKey(stranger, "session"), 600, clock.now())).token;
    await expect(verify(token)).resolves.toBeNull();
  });

  it("refuses a refresh token or a cookie token offered as an access token", async () => {
    const opaque = formatSessionToken({ id: "a".repeat(22), secret: "b".repeat(43) });
    await expect(verify(opaque)).resolves.toBeNull();
  });

  it("refuses tokens that would live longer than 15 minutes at signing", async () => {
    await expect(sign(16 * 60)).rejects.toThrow(RangeError);
  });

  it("keeps verifying tokens of the previous key after a rotation, and stops once that key is retired", async () => {
    const before = (await signAccessToken(claims, await importSigningKey(material, "session"), 600, clock.now())).token;
    const published = await rotateKeyMaterial(material);
    // Published first: the old key still signs, and verifiers already know the new one.
    expect(publicKeys(published, "session").keys).toHaveLength(2);
    const rotated = activateKeys(published);
    const after = (await signAccessToken(claims, await importSigningKey(rotated, "session"), 600, clock.now())).token;
    const duringRotation = createAccessTokenVerifier({ jwks: publicKeys(rotated, "session"), currentDate: clock.now });
    await expect(duringRotation(before)).resolves.toEqual(claims);
    await expect(duringRotation(after)).resolves.toEqual(claims);
    const retired = createAccessTokenVerifier({
      jwks: publicKeys(retireKeys(rotated), "session"),
      currentDate: clock.now,
    });
    await expect(retired(before)).resolves.toBeNull();
    await expect(retired(after)).resolves.toEqual(claims);
  });
});
