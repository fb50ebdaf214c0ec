import { mkdtemp, rm } from "node:fs/promises";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  buildASTSchema,
  getNamedType,
  isCompositeType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isScalarType,
  parse,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLObjectType,
} from "graphql";
import type { JSONWebKeySet } from "jose";
import { generateKeyMaterial, importSigningKey, publicKeys, writeKeyMaterial } from "@fedsession/runtime";
import { collectAccessPolicies, subgraphAuthDirectiveNames, type AccessPolicies } from "./auth-directives";
import { CONTEXT_ISSUER, CONTEXT_TYPE, signContext, type ContextSigningKey } from "./context-token";
import { GATEWAY_CONTEXT_HEADER, SESSION_ID_HEADER, USER_ID_HEADER, USER_PERMISSIONS_HEADER } from "./headers";
import { ANONYMOUS, type Identity } from "./identity";

export interface StartedSubgraph {
  /** The GraphQL endpoint, such as http://127.0.0.1:54321/graphql. */
  url: string;
  close(): Promise<void>;
}

/** An operation that must answer UNAUTHENTICATED to an anonymous caller, for fields the kit cannot call by itself. */
export interface ProtectedOperation {
  name: string;
  query: string;
  variables?: Record<string, unknown>;
}

export interface SubgraphConformanceOptions {
  /** The subgraph's name in supergraph.yaml: the audience its gateway contexts carry. */
  name: string;
  /** Starts the subgraph on port 0, trusting only these gateway public keys, with throwaway stores. */
  start(gatewayJwks: JSONWebKeySet): Promise<StartedSubgraph>;
  /** Extra operations anonymous callers must be refused, such as fields guarded in resolvers only. */
  protectedOperations?: readonly ProtectedOperation[];
  /** "Type.field" root fields the kit should not call itself (arguments it cannot invent); cover them above. */
  skipFields?: readonly string[];
}

export interface ConformanceKeysDir {
  /** A KEYS_DIR for the service's start(env). */
  dir: string;
  remove(): Promise<void>;
}

/**
 * Key material for a service started through its own main.ts (`start({ KEYS_DIR: dir, ... })`): fresh keys for every
 * role, except that the gateway is represented only by the public keys the conformance kit signs with.
 */
export async function conformanceKeysDir(gatewayJwks: JSONWebKeySet): Promise<ConformanceKeysDir> {
  const material = await generateKeyMaterial(true);
  material.roles.gateway = { publicJwks: gatewayJwks };
  const dir = await mkdtemp(path.join(tmpdir(), "fedsession-conformance-"));
  await writeKeyMaterial(dir, material);
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

type HeaderValues = Record<string, string | readonly string[]>;

interface Answer {
  status: number;
  body: {
    data?: Record<string, unknown> | null;
    errors?: { message: string; extensions?: { code?: unknown } }[];
  };
}

/** Over node:http rather than fetch, so a header can be sent twice as two separate lines. */
function postGraphQL(url: string, headers: HeaderValues, payload: unknown): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify(payload);
    const req = httpRequest(url, { method: "POST" }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        try {
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Answer["body"] });
        } catch {
          reject(new Error(`${url} answered ${res.statusCode} with a body that is not JSON: ${text.slice(0, 200)}`));
        }
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    req.setHeader("content-type", "application/json");
    for (const [name, value] of Object.entries(headers)) req.setHeader(name, value);
    req.end(body);
  });
}

/** The headers the gateway sends: the signed context, plus plain copies of its claims for a signed-in user. */
export function gatewayHeaders(identity: Identity, token: string): Record<string, string> {
  if (!identity.authenticated) return { [GATEWAY_CONTEXT_HEADER]: token };
  return {
    [GATEWAY_CONTEXT_HEADER]: token,
    [USER_ID_HEADER]: identity.userId,
    [USER_PERMISSIONS_HEADER]: identity.permissions.join(","),
    [SESSION_ID_HEADER]: identity.sessionId,
  };
}

/** A context with `alg: none`: well-formed claims, no signature. */
function unsignedContext(audience: string): string {
  const now = Math.floor(Date.now() / 1000);
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const header = encode({ alg: "none", typ: CONTEXT_TYPE });
  const claims = encode({ iss: CONTEXT_ISSUER, aud: audience, iat: now, exp: now + 30, perms: [], sub: "mallory" });
  return `${header}.${claims}.`;
}

/** A literal the argument accepts, for required arguments only; custom scalars get a string. */
function placeholderLiteral(type: GraphQLInputType): string {
  if (isNonNullType(type)) return placeholderLiteral(type.ofType);
  if (isListType(type)) return `[${placeholderLiteral(type.ofType)}]`;
  if (isEnumType(type)) return type.getValues()[0]?.name ?? "null";
  if (isInputObjectType(type)) {
    const fields = Object.values(type.getFields()).filter((f) => isNonNullType(f.type) && f.defaultValue === undefined);
    return `{ ${fields.map((f) => `${f.name}: ${placeholderLiteral(f.type)}`).join(", ")} }`;
  }
  if (isScalarType(type)) {
    if (type.name === "Int") return "1";
    if (type.name === "Float") return "1.5";
    if (type.name === "Boolean") return "false";
  }
  return '"conformance"';
}

function operationFor(keyword: "query" | "mutation", field: GraphQLField<unknown, unknown>): string {
  const required = field.args.filter((arg) => isNonNullType(arg.type) && arg.defaultValue === undefined);
  const args = required.map((arg) => `${arg.name}: ${placeholderLiteral(arg.type)}`).join(", ");
  const selection = isCompositeType(getNamedType(field.type)) ? " { __typename }" : "";
  return `${keyword} { ${field.name}${args ? `(${args})` : ""}${selection} }`;
}

interface ProtectedRootField {
  coordinate: string;
  responseKey: string;
  query: string;
}

/** Root fields the SDL guards with @authenticated/@requiresScopes, on themselves or on the type they return. */
export function protectedRootFields(sdl: string, skip: readonly string[] = []): ProtectedRootField[] {
  const document = parse(sdl);
  const policies: AccessPolicies = collectAccessPolicies(document, subgraphAuthDirectiveNames(document));
  const schema = buildASTSchema(document, { assumeValidSDL: true });
  const roots: ["query" | "mutation", GraphQLObjectType | null | undefined][] = [
    ["query", schema.getQueryType()],
    ["mutation", schema.getMutationType()],
  ];
  const found: ProtectedRootField[] = [];
  for (const [keyword, root] of roots) {
    if (!root) continue;
    for (const field of Object.values(root.getFields())) {
      const coordinate = `${root.name}.${field.name}`;
      if (skip.includes(coordinate)) continue;
      const guarded =
        policies.fields.has(coordinate) ||
        policies.types.has(root.name) ||
        policies.types.has(getNamedType(field.type).name);
      if (guarded) found.push({ coordinate, responseKey: field.name, query: operationFor(keyword, field) });
    }
  }
  return found;
}

function errorCodes(answer: Answer): unknown[] {
  return (answer.body.errors ?? []).map((error) => error.extensions?.code);
}

/**
 * Generates the tests every subgraph must pass: it refuses anything that did not provably come from the gateway
 * (401), refuses anonymous callers on every @authenticated/@requiresScopes root field, and accepts the gateway.
 * Call it at the top level of a jest test file.
 *
 * @example
 * describeSubgraphConformance({
 *   name: "documents",
 *   start: async (gatewayJwks) => {
 *     const server = await createDocumentsServer({ store: createMemoryDocumentStore(), gatewayJwks, logger: silentLogger, production: false });
 *     const running = await listen(server.handler, 0);
 *     return { url: `${running.url}/graphql`, close: async () => { await running.close(); await server.stop(); } };
 *   },
 * });
 */
export function describeSubgraphConformance(options: SubgraphConformanceOptions): void {
  const audience = options.name;
  const user: Identity = {
    authenticated: true,
    userId: "conformance-user",
    permissions: ["conformance:read"],
    sessionId: "conformance-session",
  };
  const probe = { query: "{ __typename }" };

  describe(`${audience} subgraph conformance`, () => {
    let subgraph: StartedSubgraph;
    let gatewayKey: ContextSigningKey;
    let strangerKey: ContextSigningKey;

    beforeAll(async () => {
      const material = await generateKeyMaterial(true);
      gatewayKey = await importSigningKey(material, "gateway");
      strangerKey = await importSigningKey(await generateKeyMaterial(true), "gateway");
      subgraph = await options.start(publicKeys(material, "gateway"));
    });

    afterAll(async () => {
      await subgraph?.close();
    });

    const signedHeaders = async (identity: Identity) =>
      gatewayHeaders(identity, await signContext(identity, audience, gatewayKey));

    const expectRefused = (answer: Answer) => {
      expect({ status: answer.status, codes: errorCodes(answer), data: answer.body.data ?? null }).toEqual({
        status: 401,
        codes: ["UNAUTHENTICATED"],
        data: null,
      });
    };

    it("accepts a signed anonymous context from the gateway (200)", async () => {
      const answer = await postGraphQL(subgraph.url, await signedHeaders(ANONYMOUS), probe);
      expect({ status: answer.status, body: answer.body }).toEqual({
        status: 200,
        body: { data: { __typename: expect.any(String) } },
      });
    });

    it("accepts a signed user context whose plain headers match (200)", async () => {
      const answer = await postGraphQL(subgraph.url, await signedHeaders(user), probe);
      expect(answer.status).toBe(200);
      expect(answer.body.errors).toBeUndefined();
    });

    it("refuses a direct call with no gateway context (401)", async () => {
      expectRefused(await postGraphQL(subgraph.url, {}, probe));
    });

    it("refuses bare identity headers without a signed context (401)", async () => {
      const bare = { [USER_ID_HEADER]: "u-admin", [USER_PERMISSIONS_HEADER]: "users:admin", [SESSION_ID_HEADER]: "s" };
      expectRefused(await postGraphQL(subgraph.url, bare, probe));
    });

    it("refuses a garbage or unsigned (alg: none) context (401)", async () => {
      expectRefused(await postGraphQL(subgraph.url, { [GATEWAY_CONTEXT_HEADER]: "not-a-context" }, probe));
      expectRefused(await postGraphQL(subgraph.url, { [GATEWAY_CONTEXT_HEADER]: unsignedContext(audience) }, probe));
    });

    it("refuses a context signed by a key the gateway does not publish (401)", async () => {
      const token = await signContext(user, audience, strangerKey);
      expectRefused(await postGraphQL(subgraph.url, gatewayHeaders(user, token), probe));
    });

    it("refuses a context signed for another subgraph (401)", async () => {
      const token = await signContext(user, `not-${audience}`, gatewayKey);
      expectRefused(await postGraphQL(subgraph.url, gatewayHeaders(user, token), probe));
    });

    it("refuses an expired context (401)", async () => {
      const token = await signContext(user, audience, gatewayKey, new Date(Date.now() - 5 * 60_000));
      expectRefused(await postGraphQL(subgraph.url, gatewayHeaders(user, token), probe));
    });

    it("refuses plain identity headers that disagree with the signed context (401)", async () => {
      const escalated = { ...(await signedHeaders(user)), [USER_PERMISSIONS_HEADER]: "users:admin" };
      expectRefused(await postGraphQL(subgraph.url, escalated, probe));
      const impersonating = { ...(await signedHeaders(ANONYMOUS)), [USER_ID_HEADER]: "u-admin" };
      expectRefused(await postGraphQL(subgraph.url, impersonating, probe));
    });

    it("refuses a duplicated identity header (401)", async () => {
      const headers = await signedHeaders(user);
      expectRefused(await postGraphQL(subgraph.url, { ...headers, [USER_ID_HEADER]: [user.userId, "u-admin"] }, probe));
      expectRefused(
        await postGraphQL(
          subgraph.url,
          { ...headers, [GATEWAY_CONTEXT_HEADER]: [headers[GATEWAY_CONTEXT_HEADER] as string, "x"] },
          probe,
        ),
      );
    });

    it("refuses anonymous callers on every @authenticated/@requiresScopes root field (UNAUTHENTICATED)", async () => {
      const anonymous = await signedHeaders(ANONYMOUS);
      const sdlAnswer = await postGraphQL(subgraph.url, anonymous, { query: "{ _service { sdl } }" });
      const service = sdlAnswer.body.data?._service as { sdl?: unknown } | undefined;
      expect(typeof service?.sdl).toBe("string");
      const fields = protectedRootFields(String(service?.sdl), options.skipFields);
      const operations = [
        ...fields.map((field) => ({ name: field.coordinate, query: field.query, responseKey: field.responseKey })),
        ...(options.protectedOperations ?? []).map((operation) => ({ ...operation, responseKey: null })),
      ];
      const outcomes = await Promise.all(
        operations.map(async (operation) => {
          const answer = await postGraphQL(subgraph.url, await signedHeaders(ANONYMOUS), {
            query: operation.query,
            variables: "variables" in operation ? operation.variables : undefined,
          });
          const value = operation.responseKey === null ? null : (answer.body.data?.[operation.responseKey] ?? null);
          return { operation: operation.name, codes: errorCodes(answer), leaked: value !== null };
        }),
      );
      expect(outcomes).toEqual(
        operations.map((operation) => ({ operation: operation.name, codes: ["UNAUTHENTICATED"], leaked: false })),
      );
    });
  });
}
