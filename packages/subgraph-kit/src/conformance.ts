import { randomUUID } from "node:crypto";
import { request as httpRequest } from "node:http";
import {
  buildASTSchema,
  getNamedType,
  isCompositeType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  Kind,
  parse,
  type DocumentNode,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLObjectType,
} from "graphql";
import { exportJWK, generateKeyPair, type JSONWebKeySet } from "jose";
import {
  collectAccessPolicies,
  linkDirectives,
  linkedDirectiveName,
  subgraphAuthDirectiveNames,
  type AccessPolicies,
  type AccessRequirement,
} from "./auth-directives";
import { CONTEXT_ALGORITHM, CONTEXT_ISSUER, CONTEXT_TYPE, signContext, type ContextSigningKey } from "./context-token";
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

export interface GatewayKeys {
  /** Signs contexts as the gateway would (signContext). */
  signingKey: ContextSigningKey;
  /** The public half, as the gateway publishes it at /.well-known/jwks.json. */
  jwks: JSONWebKeySet;
}

/** A fresh Ed25519 key pair that plays the gateway in tests: a subgraph trusting `jwks` accepts what `signingKey` signs. */
export async function generateGatewayKeys(kid = `gateway-test-${randomUUID().slice(0, 8)}`): Promise<GatewayKeys> {
  const { privateKey, publicKey } = await generateKeyPair(CONTEXT_ALGORITHM, { crv: "Ed25519", extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: CONTEXT_ALGORITHM, use: "sig" };
  return { signingKey: { kid, key: privateKey }, jwks: { keys: [jwk] } };
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

/** `field(required: placeholder) { __typename }`: a selection of one field the kit can send without knowing the data. */
function fieldSelection(field: GraphQLField<unknown, unknown>): string {
  const required = field.args.filter((arg) => isNonNullType(arg.type) && arg.defaultValue === undefined);
  const args = required.map((arg) => `${arg.name}: ${placeholderLiteral(arg.type)}`).join(", ");
  const selection = isCompositeType(getNamedType(field.type)) ? " { __typename }" : "";
  return `${field.name}${args ? `(${args})` : ""}${selection}`;
}

interface ProtectedRootField {
  coordinate: string;
  responseKey: string;
  query: string;
  /** Some guard lists scopes, so a signed-in user without them must get FORBIDDEN. */
  needsScopes: boolean;
}

interface ParsedSubgraph {
  document: DocumentNode;
  policies: AccessPolicies;
  schema: ReturnType<typeof buildASTSchema>;
}

function parseSubgraph(sdl: string): ParsedSubgraph {
  const document = parse(sdl);
  const policies = collectAccessPolicies(document, subgraphAuthDirectiveNames(document));
  return { document, policies, schema: buildASTSchema(document, { assumeValidSDL: true }) };
}

/** The requirements on a field: its own, its parent type's, and the type it returns. */
function guardsOf(policies: AccessPolicies, parent: GraphQLObjectType, field: GraphQLField<unknown, unknown>) {
  return [
    policies.fields.get(`${parent.name}.${field.name}`),
    policies.types.get(parent.name),
    policies.types.get(getNamedType(field.type).name),
  ].filter((requirement): requirement is AccessRequirement => requirement !== undefined);
}

const needsScopes = (guards: readonly AccessRequirement[]) => guards.some((guard) => guard.scopes !== null);

/** Root fields the SDL guards with @authenticated/@requiresScopes, on themselves or on the type they return. */
export function protectedRootFields(sdl: string, skip: readonly string[] = []): ProtectedRootField[] {
  const { policies, schema } = parseSubgraph(sdl);
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
      const guards = guardsOf(policies, root, field);
      if (guards.length === 0) continue;
      found.push({
        coordinate,
        responseKey: field.name,
        query: `${keyword} { ${fieldSelection(field)} }`,
        needsScopes: needsScopes(guards),
      });
    }
  }
  return found;
}

interface EntityProbe {
  /** "Type" for the entity type itself, "Type.field" for one guarded field of it. */
  coordinate: string;
  query: string;
  variables: { representations: Record<string, string>[] };
  /** Where a leaked value would show in `_entities[0]`: the field, or null for the entity itself. */
  field: string | null;
  needsScopes: boolean;
}

const ENTITIES_QUERY = (typeName: string, selection: string) =>
  `query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on ${typeName} { ${selection} } } }`;

/** Key fields of an entity's first @key when they are plain field names ("id", "sku region") and it resolves here. */
function simpleKeyFields(type: GraphQLObjectType, keyDirective: string): string[] | null {
  const nodes = [type.astNode, ...type.extensionASTNodes];
  const key = nodes
    .flatMap((node) => node?.directives ?? [])
    .find((directive) => directive.name.value === keyDirective);
  const argument = (name: string) => key?.arguments?.find((candidate) => candidate.name.value === name)?.value;
  const fields = argument("fields");
  const resolvable = argument("resolvable");
  if (resolvable?.kind === Kind.BOOLEAN && !resolvable.value) return null;
  if (fields?.kind !== Kind.STRING || !/^\s*\w+(\s+\w+)*\s*$/.test(fields.value)) return null;
  return fields.value.trim().split(/\s+/);
}

/**
 * `_entities` probes for every entity type (first @key of plain fields) that @authenticated/@requiresScopes guards,
 * and every guarded field of an entity: what a caller would ask for if it reached the subgraph without the gateway's
 * checks. Entity types with a nested key are left out.
 */
export function protectedEntityProbes(sdl: string): EntityProbe[] {
  const { document, policies, schema } = parseSubgraph(sdl);
  const keyDirective = linkedDirectiveName(linkDirectives(document), "federation", "key") ?? "key";
  const probes: EntityProbe[] = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith("_")) continue;
    const keyFields = simpleKeyFields(type, keyDirective);
    if (keyFields === null) continue;
    const variables = {
      representations: [Object.fromEntries([["__typename", type.name], ...keyFields.map((f) => [f, "conformance"])])],
    };
    const typeGuard = policies.types.get(type.name);
    if (typeGuard !== undefined) {
      probes.push({
        coordinate: type.name,
        query: ENTITIES_QUERY(type.name, "__typename"),
        variables,
        field: null,
        needsScopes: typeGuard.scopes !== null,
      });
    }
    for (const field of Object.values(type.getFields())) {
      const guards = guardsOf(policies, type, field).filter((guard) => guard !== typeGuard);
      if (guards.length === 0) continue;
      probes.push({
        coordinate: `${type.name}.${field.name}`,
        query: ENTITIES_QUERY(type.name, fieldSelection(field)),
        variables,
        field: field.name,
        needsScopes: needsScopes(guards),
      });
    }
  }
  return probes;
}

function errorCodes(answer: Answer): unknown[] {
  return (answer.body.errors ?? []).map((error) => error.extensions?.code);
}

/**
 * What an `_entities` probe shows: whether the entity (or its guarded field) came back with a value, and whether the
 * answer is the refusal. An entity whose reference resolves to nothing is refused or absent, never leaked.
 */
function entityOutcome(probe: EntityProbe, answer: Answer, code: string) {
  const entities = answer.body.data?._entities;
  const entity: unknown = Array.isArray(entities) ? entities[0] : null;
  const value: unknown =
    probe.field === null || typeof entity !== "object" || entity === null ? entity : Reflect.get(entity, probe.field);
  const codes = errorCodes(answer);
  const refused = codes.length > 0 ? codes.every((found) => found === code) : entity === null || entity === undefined;
  return { probe: probe.coordinate, leaked: value !== null && value !== undefined, refused };
}

/**
 * Generates the tests every subgraph must pass: it refuses anything that did not provably come from the gateway
 * (401, `_entities` included), refuses anonymous callers (UNAUTHENTICATED) and signed-in users without the scopes
 * (FORBIDDEN) on every @authenticated/@requiresScopes root field and entity, and accepts the gateway.
 * Call it at the top level of a jest test file.
 *
 * @example
 * describeSubgraphConformance({
 *   name: "invoices",
 *   start: async (gatewayJwks) => {
 *     const server = await createInvoicesServer({ store: createMemoryInvoiceStore(), gatewayJwks, logger, production: false });
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
  const userWithoutPermissions: Identity = { ...user, permissions: [] };
  const probe = { query: "{ __typename }" };
  const entitiesProbe = {
    query: "query ($r: [_Any!]!) { _entities(representations: $r) { __typename } }",
    variables: { r: [{ __typename: "Conformance", id: "conformance" }] },
  };

  describe(`${audience} subgraph conformance`, () => {
    let subgraph: StartedSubgraph;
    let gatewayKey: ContextSigningKey;
    let strangerKey: ContextSigningKey;
    let sdl: string | undefined;

    beforeAll(async () => {
      const gateway = await generateGatewayKeys();
      gatewayKey = gateway.signingKey;
      strangerKey = (await generateGatewayKeys(gateway.signingKey.kid)).signingKey;
      subgraph = await options.start(gateway.jwks);
    });

    afterAll(async () => {
      await subgraph?.close();
    });

    const signedHeaders = async (identity: Identity) =>
      gatewayHeaders(identity, await signContext(identity, audience, gatewayKey));

    /** The SDL the subgraph reports to composition, which names the fields to probe. */
    const serviceSdl = async (): Promise<string> => {
      if (sdl !== undefined) return sdl;
      const answer = await postGraphQL(subgraph.url, await signedHeaders(ANONYMOUS), { query: "{ _service { sdl } }" });
      const service = answer.body.data?._service as { sdl?: unknown } | undefined;
      expect(typeof service?.sdl).toBe("string");
      sdl = String(service?.sdl);
      return sdl;
    };

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

    it("refuses _entities with no context or an unsigned one (401)", async () => {
      expectRefused(await postGraphQL(subgraph.url, {}, entitiesProbe));
      const unsigned = { [GATEWAY_CONTEXT_HEADER]: unsignedContext(audience) };
      expectRefused(await postGraphQL(subgraph.url, unsigned, entitiesProbe));
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
      const fields = protectedRootFields(await serviceSdl(), options.skipFields);
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

    it("refuses signed-in users without the scopes on every @requiresScopes root field (FORBIDDEN)", async () => {
      const fields = protectedRootFields(await serviceSdl(), options.skipFields).filter((field) => field.needsScopes);
      const outcomes = await Promise.all(
        fields.map(async (field) => {
          const answer = await postGraphQL(subgraph.url, await signedHeaders(userWithoutPermissions), {
            query: field.query,
          });
          const leaked = (answer.body.data?.[field.responseKey] ?? null) !== null;
          return { field: field.coordinate, codes: errorCodes(answer), leaked };
        }),
      );
      expect(outcomes).toEqual(
        fields.map((field) => ({ field: field.coordinate, codes: ["FORBIDDEN"], leaked: false })),
      );
    });

    it("refuses anonymous callers on _entities of every @authenticated/@requiresScopes entity and field", async () => {
      const probes = protectedEntityProbes(await serviceSdl());
      const outcomes = await Promise.all(
        probes.map(async (entity) => {
          const answer = await postGraphQL(subgraph.url, await signedHeaders(ANONYMOUS), entity);
          return entityOutcome(entity, answer, "UNAUTHENTICATED");
        }),
      );
      expect(outcomes).toEqual(probes.map((entity) => ({ probe: entity.coordinate, leaked: false, refused: true })));
    });

    it("refuses signed-in users without the scopes on _entities of every @requiresScopes entity and field", async () => {
      const probes = protectedEntityProbes(await serviceSdl()).filter((entity) => entity.needsScopes);
      const outcomes = await Promise.all(
        probes.map(async (entity) => {
          const answer = await postGraphQL(subgraph.url, await signedHeaders(userWithoutPermissions), entity);
          return entityOutcome(entity, answer, "FORBIDDEN");
        }),
      );
      expect(outcomes).toEqual(probes.map((entity) => ({ probe: entity.coordinate, leaked: false, refused: true })));
    });
  });
}
