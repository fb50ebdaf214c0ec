import { readFileSync } from "node:fs";
import path from "node:path";
import { importJWK, type JSONWebKeySet, type JWK } from "jose";
import {
  CLOCK_TOLERANCE_SECONDS,
  CONTEXT_ALGORITHM,
  CONTEXT_ISSUER,
  CONTEXT_LIFETIME_SECONDS,
  CONTEXT_TYPE,
  ContextTokenError,
  GATEWAY_CONTEXT_HEADER,
  IDENTITY_HEADERS,
  createContextTokenVerifier,
  createGatewayRequestVerifier,
  signContext,
  type ClientInfo,
  type Identity,
} from "../src";

interface Vector {
  name: string;
  token: string;
  header: Record<string, unknown>;
  claims: Record<string, unknown> & { iat: number; exp: number };
  plainHeaders: Record<string, string>;
  identity: Identity;
  client: ClientInfo;
}

interface VectorFile {
  keys: { publicJwks: JSONWebKeySet; privateJwk: JWK };
  verifyAt: string;
  audience: string;
  vectors: Vector[];
}

const VECTOR_FILE = path.resolve(__dirname, "../test-vectors/context-token.json");
const DOC = path.resolve(__dirname, "../../../docs/context-token.md");
const file = JSON.parse(readFileSync(VECTOR_FILE, "utf8")) as VectorFile;
const verifyAt = new Date(file.verifyAt);

const decode = (part: string | undefined): unknown => JSON.parse(Buffer.from(part ?? "", "base64url").toString("utf8"));

/** A fresh verifier (no cache carried over) whose clock reads `at`. */
const verifierAt = (at: Date, audience = file.audience) =>
  createContextTokenVerifier({ jwks: file.keys.publicJwks, audience, currentDate: () => at });

const failureOf = (promise: Promise<unknown>) =>
  promise.then(
    () => "accepted",
    (error: unknown) => (error instanceof ContextTokenError ? error.reason : String(error)),
  );

describe.each(file.vectors)("context token test vector: $name", (vector) => {
  it("decodes to the header and claims the vector lists, with the pinned algorithm, type, issuer and lifetime", () => {
    const [header, claims] = vector.token.split(".");
    expect(decode(header)).toEqual(vector.header);
    expect(decode(claims)).toEqual(vector.claims);
    expect(vector.header).toMatchObject({ alg: CONTEXT_ALGORITHM, typ: CONTEXT_TYPE });
    expect(vector.claims).toMatchObject({ iss: CONTEXT_ISSUER, aud: file.audience });
    expect(vector.claims.exp - vector.claims.iat).toBe(CONTEXT_LIFETIME_SECONDS);
  });

  it("verifies with the kit's verifier at a fixed clock, alone and with its plain headers", async () => {
    await expect(verifierAt(verifyAt)(vector.token)).resolves.toEqual({
      identity: vector.identity,
      client: vector.client,
    });
    const verifyRequest = createGatewayRequestVerifier({
      jwks: file.keys.publicJwks,
      audience: file.audience,
      currentDate: () => verifyAt,
    });
    const raw = [GATEWAY_CONTEXT_HEADER, vector.token, ...Object.entries(vector.plainHeaders).flat()];
    await expect(verifyRequest(raw)).resolves.toEqual({ identity: vector.identity, client: vector.client });
  });

  it("is what the kit's signer writes today, byte for byte (Ed25519 signatures are deterministic)", async () => {
    const key = { kid: String(vector.header.kid), key: await importJWK(file.keys.privateJwk, CONTEXT_ALGORITHM) };
    const issuedAt = new Date(vector.claims.iat * 1000);
    await expect(signContext(vector.identity, file.audience, key, issuedAt, vector.client)).resolves.toBe(vector.token);
  });

  it("is accepted until exp plus the clock tolerance, then refused as expired", async () => {
    const exp = vector.claims.exp * 1000;
    const toleranceMs = CLOCK_TOLERANCE_SECONDS * 1000;
    await expect(failureOf(verifierAt(new Date(exp + toleranceMs - 1000))(vector.token))).resolves.toBe("accepted");
    await expect(failureOf(verifierAt(new Date(exp + toleranceMs + 1000))(vector.token))).resolves.toBe("expired");
  });

  it("is refused for another audience, with another key, or with any claim changed", async () => {
    await expect(failureOf(verifierAt(verifyAt, "documents")(vector.token))).resolves.toBe("invalid");
    const [header, , signature] = vector.token.split(".");
    const changed = Buffer.from(JSON.stringify({ ...vector.claims, perms: ["users:admin"] })).toString("base64url");
    await expect(failureOf(verifierAt(verifyAt)(`${header}.${changed}.${signature}`))).resolves.toBe("invalid");
    const otherKey = createContextTokenVerifier({
      // Same kid, another Ed25519 public key (RFC 8037's example).
      jwks: {
        keys: file.keys.publicJwks.keys.map((key) => ({ ...key, x: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo" })),
      },
      audience: file.audience,
      currentDate: () => verifyAt,
    });
    await expect(failureOf(otherKey(vector.token))).resolves.toBe("invalid");
  });
});

describe("docs/context-token.md", () => {
  const doc = readFileSync(DOC, "utf8");

  it("states the values the kit pins and names every identity header", () => {
    for (const value of [
      CONTEXT_ALGORITHM,
      CONTEXT_TYPE,
      CONTEXT_ISSUER,
      "/.well-known/jwks.json",
      ...IDENTITY_HEADERS,
    ]) {
      expect([value, doc.includes(value)]).toEqual([value, true]);
    }
    expect(doc).toContain(`${CONTEXT_LIFETIME_SECONDS} seconds`);
    expect(doc).toContain(`${CLOCK_TOLERANCE_SECONDS} seconds`);
  });

  it("quotes the signed-in vector as the test file holds it: token, header, claims and public key", () => {
    const [signedIn] = file.vectors;
    const jsonBlocks = [...doc.matchAll(/```json\n([\s\S]*?)```/g)].map(
      (match) => JSON.parse(match[1] ?? "") as unknown,
    );
    expect(doc).toContain(signedIn?.token);
    expect(jsonBlocks).toContainEqual(signedIn?.header);
    expect(jsonBlocks).toContainEqual(signedIn?.claims);
    expect(jsonBlocks).toContainEqual(file.keys.publicJwks);
    expect(doc).toContain("packages/subgraph-kit/test-vectors/context-token.json");
  });
});
