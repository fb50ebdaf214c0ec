import { buildSchema, type GraphQLFieldResolver, type GraphQLSchema } from "graphql";
import type { JSONWebKeySet } from "jose";
import {
  ANONYMOUS,
  createSubgraphServer,
  listen,
  signContext,
  type ContextSigningKey,
  type Identity,
  type KitLogger,
} from "../src";
import {
  describeSubgraphConformance,
  gatewayHeaders,
  generateGatewayKeys,
  protectedEntityProbes,
  protectedRootFields,
  type StartedSubgraph,
} from "../src/testing";

const silentLogger: KitLogger = { info: () => {}, warn: () => {}, error: () => {} };

/** What buildSubgraphSchema prints for a small subgraph, renamed import included; built here without @apollo/subgraph. */
const SDL = `
extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", {name: "@authenticated", as: "@signedIn"}, "@requiresScopes"])

type Query {
  hello: String
  me: User @signedIn
  report(year: Int!, tag: String!): String @requiresScopes(scopes: [["reports:read"], ["admin", "audit"]])
  vault: Vault
  _entities(representations: [_Any!]!): [_Entity]!
  _service: _Service!
}

type Mutation {
  wipe(confirm: Boolean!): Boolean! @requiresScopes(scopes: [["admin"]])
}

type User @key(fields: "id") {
  id: ID!
  email: String @signedIn
}

type Vault @key(fields: "id") @requiresScopes(scopes: [["vault:open"]]) {
  id: ID!
  gold: Int
}

scalar _Any
union _Entity = User | Vault
type _Service { sdl: String }
`;

type Row = Record<string, unknown>;

function buildTestSchema(calls: string[]): GraphQLSchema {
  const schema = buildSchema(SDL, { assumeValidSDL: true });
  const resolvers: Record<string, Record<string, GraphQLFieldResolver<Row, unknown>>> = {
    Query: {
      hello: () => "hi",
      me: () => ({ id: "u1", email: "u1@example.com" }),
      report: () => "report",
      vault: () => ({ id: "v1", gold: 100 }),
      _service: () => ({ sdl: SDL }),
      _entities: (_source, args: { representations: Row[] }) =>
        args.representations.map((representation) => {
          calls.push(`resolve ${String(representation.__typename)}`);
          return representation.__typename === "Vault"
            ? { __typename: "Vault", id: representation.id, gold: 7 }
            : { __typename: "User", id: representation.id, email: "e@example.com" };
        }),
    },
    Mutation: {
      wipe: () => {
        calls.push("wipe");
        return true;
      },
    },
  };
  for (const [typeName, fields] of Object.entries(resolvers)) {
    const type = schema.getType(typeName);
    if (!type || !("getFields" in type)) throw new Error(typeName);
    for (const [name, resolve] of Object.entries(fields)) {
      const field = type.getFields()[name];
      if (field && "resolve" in field) field.resolve = resolve;
    }
  }
  const entity = schema.getType("_Entity");
  if (entity && "resolveType" in entity) entity.resolveType = (value: Row) => String(value.__typename);
  return schema;
}

async function startTestSubgraph(gatewayJwks: JSONWebKeySet, calls: string[] = []): Promise<StartedSubgraph> {
  const { server, handler } = await createSubgraphServer({
    name: "vault",
    schema: buildTestSchema(calls),
    gatewayJwks,
    logger: silentLogger,
    production: false,
    context: ({ identity }) => ({ identity }),
  });
  const running = await listen(handler, 0);
  return {
    url: `${running.url}/graphql`,
    close: async () => {
      await running.close();
      await server.stop();
    },
  };
}

describe("auth directives enforced inside a subgraph", () => {
  let gatewayKey: ContextSigningKey;
  let subgraph: StartedSubgraph;
  const calls: string[] = [];

  beforeAll(async () => {
    const gateway = await generateGatewayKeys();
    gatewayKey = gateway.signingKey;
    subgraph = await startTestSubgraph(gateway.jwks, calls);
  });

  afterAll(() => subgraph.close());

  beforeEach(() => {
    calls.length = 0;
  });

  async function post(identity: Identity, query: string, variables?: Record<string, unknown>) {
    const response = await fetch(subgraph.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...gatewayHeaders(identity, await signContext(identity, "vault", gatewayKey)),
      },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as {
      data?: Record<string, unknown> | null;
      errors?: { path?: (string | number)[]; extensions?: { code?: string } }[];
    };
    return {
      data: body.data,
      errors: (body.errors ?? []).map((error) => `${(error.path ?? []).join(".")} ${error.extensions?.code}`),
    };
  }
  const user = (...permissions: string[]): Identity => ({
    authenticated: true,
    userId: "u1",
    permissions,
    sessionId: "s1",
  });

  it("refuses an @authenticated field (renamed on import) to an anonymous caller before its resolver runs", async () => {
    await expect(post(ANONYMOUS, "{ hello me { id } }")).resolves.toEqual({
      data: { hello: "hi", me: null },
      errors: ["me UNAUTHENTICATED"],
    });
    await expect(post(user(), "{ me { id email } }")).resolves.toEqual({
      data: { me: { id: "u1", email: "u1@example.com" } },
      errors: [],
    });
  });

  it("checks @requiresScopes as an OR of ANDs and never runs a refused mutation", async () => {
    const report = '{ report(year: 2026, tag: "q1") }';
    await expect(post(user("admin"), report)).resolves.toMatchObject({ errors: ["report FORBIDDEN"] });
    await expect(post(user("admin", "audit"), report)).resolves.toMatchObject({ errors: [] });
    await expect(post(user("reports:read"), report)).resolves.toMatchObject({ errors: [] });
    await expect(post(user("reports:read"), "mutation { wipe(confirm: true) }")).resolves.toMatchObject({
      errors: ["wipe FORBIDDEN"],
    });
    await expect(post(ANONYMOUS, "mutation { wipe(confirm: true) }")).resolves.toMatchObject({
      errors: ["wipe UNAUTHENTICATED"],
    });
    expect(calls).toEqual([]);
  });

  it("applies a type's directive to fields returning it and to its own fields", async () => {
    await expect(post(user(), "{ vault { id } }")).resolves.toEqual({
      data: { vault: null },
      errors: ["vault FORBIDDEN"],
    });
    await expect(post(user("vault:open"), "{ vault { gold } }")).resolves.toEqual({
      data: { vault: { gold: 100 } },
      errors: [],
    });
  });

  it("resolves no _entities representation of a type the caller may not see, and the others as usual", async () => {
    const query = `query ($representations: [_Any!]!) {
      _entities(representations: $representations) { ... on User { id } ... on Vault { gold } }
    }`;
    const representations = [
      { __typename: "User", id: "u2" },
      { __typename: "Vault", id: "v1" },
    ];
    await expect(post(user(), query, { representations })).resolves.toEqual({
      data: { _entities: [{ id: "u2" }, null] },
      errors: ["_entities.1 FORBIDDEN"],
    });
    expect(calls).toEqual(["resolve User"]);
    await expect(post(user("vault:open"), query, { representations })).resolves.toEqual({
      data: { _entities: [{ id: "u2" }, { gold: 7 }] },
      errors: [],
    });
  });
});

describe("protectedRootFields", () => {
  it("finds root fields guarded on themselves or by the type they return, with placeholder arguments", () => {
    expect(protectedRootFields(SDL)).toEqual([
      { coordinate: "Query.me", responseKey: "me", query: "query { me { __typename } }", needsScopes: false },
      {
        coordinate: "Query.report",
        responseKey: "report",
        query: 'query { report(year: 1, tag: "conformance") }',
        needsScopes: true,
      },
      { coordinate: "Query.vault", responseKey: "vault", query: "query { vault { __typename } }", needsScopes: true },
      {
        coordinate: "Mutation.wipe",
        responseKey: "wipe",
        query: "mutation { wipe(confirm: false) }",
        needsScopes: true,
      },
    ]);
    expect(protectedRootFields(SDL, ["Query.report"]).map((field) => field.coordinate)).not.toContain("Query.report");
  });
});

describe("protectedEntityProbes", () => {
  it("probes _entities for every guarded entity type and every guarded field of an entity", () => {
    const entities = (typeName: string, selection: string) =>
      `query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on ${typeName} { ${selection} } } }`;
    expect(protectedEntityProbes(SDL)).toEqual([
      {
        coordinate: "User.email",
        query: entities("User", "email"),
        variables: { representations: [{ __typename: "User", id: "conformance" }] },
        field: "email",
        needsScopes: false,
      },
      {
        coordinate: "Vault",
        query: entities("Vault", "__typename"),
        variables: { representations: [{ __typename: "Vault", id: "conformance" }] },
        field: null,
        needsScopes: true,
      },
    ]);
  });

  it("leaves out entity types whose key is nested or that this subgraph does not resolve", () => {
    const sdl = `
      extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@authenticated"])
      type Order @key(fields: "id customer { id }") @authenticated { id: ID! customer: Customer! }
      type Customer @key(fields: "id", resolvable: false) @authenticated { id: ID! }
      type Query { orders: [Order!]! }
    `;
    expect(protectedEntityProbes(sdl)).toEqual([]);
  });
});

describeSubgraphConformance({
  name: "vault",
  start: (gatewayJwks) => startTestSubgraph(gatewayJwks),
  protectedOperations: [{ name: "nested email", query: "{ me { email } }" }],
});
