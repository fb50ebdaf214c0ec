import { composeServices } from "@apollo/composition";
import { ApolloServer } from "@apollo/server";
import { buildSchema, parse, type GraphQLFieldResolver, type GraphQLSchema } from "graphql";
import { createGraphQLHttpHandler, listen } from "@fedsession/runtime";

const FEDERATION_LINK =
  'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@authenticated", "@requiresScopes"])';

/** Two small subgraphs with every shape of auth directive: on root fields, entity fields, object types, lists. */
export const ACCOUNTS_SDL = `${FEDERATION_LINK}
type Query {
  publicNote: String
  me: User @authenticated
  adminReport: String @requiresScopes(scopes: [["users:admin"]])
  users: [User!]! @requiresScopes(scopes: [["users:admin"], ["users:read", "audit:read"]])
  secret: Secret
}
type User @key(fields: "id") {
  id: ID!
  name: String!
  email: String @authenticated
}
type Secret @authenticated {
  code: String!
}
`;

export const DOCUMENTS_SDL = `${FEDERATION_LINK}
type Query {
  feed: [Document!]!
  documents: [Document!]! @requiresScopes(scopes: [["documents:read"]])
  search: [SearchResult]!
}
union SearchResult = Document | Memo
type Document @key(fields: "id") {
  id: ID!
  title: String!
  body: String @requiresScopes(scopes: [["documents:read"]])
  summary: String! @requiresScopes(scopes: [["documents:read"]])
  owner: User
}
type Memo @authenticated {
  text: String!
}
type User @key(fields: "id") {
  id: ID!
  documents: [Document!]! @authenticated
}
`;

export function composeSupergraph(): string {
  const result = composeServices([
    { name: "accounts", url: "http://accounts.invalid/graphql", typeDefs: parse(ACCOUNTS_SDL) },
    { name: "documents", url: "http://documents.invalid/graphql", typeDefs: parse(DOCUMENTS_SDL) },
  ]);
  if (result.errors) throw new Error(result.errors.map((error) => error.message).join("\n"));
  return result.supergraphSdl;
}

/** The API schema clients see (what Apollo Server hands plugins as requestContext.schema). */
export function composeApiSchema(): GraphQLSchema {
  const result = composeServices([
    { name: "accounts", url: "http://accounts.invalid/graphql", typeDefs: parse(ACCOUNTS_SDL) },
    { name: "documents", url: "http://documents.invalid/graphql", typeDefs: parse(DOCUMENTS_SDL) },
  ]);
  if (result.errors) throw new Error(result.errors.map((error) => error.message).join("\n"));
  return result.schema.toAPISchema().toGraphQLJSSchema();
}

type Row = Record<string, unknown>;
type Resolvers = Record<string, Record<string, GraphQLFieldResolver<Row, unknown>>>;

const USERS: Row[] = [
  { __typename: "User", id: "u1", name: "Alice", email: "alice@example.com" },
  { __typename: "User", id: "u2", name: "Bob", email: "bob@example.com" },
];
const DOCUMENTS: Row[] = [
  { __typename: "Document", id: "d1", title: "Hello", body: "Hello body", summary: "hi", owner: { id: "u1" } },
  { __typename: "Document", id: "d2", title: "World", body: "World body", summary: "wo", owner: { id: "u2" } },
];

const ACCOUNTS_RESOLVERS: Resolvers = {
  Query: {
    publicNote: () => "hello",
    me: () => USERS[0],
    adminReport: () => "all good",
    users: () => USERS,
    secret: () => ({ __typename: "Secret", code: "s3cret" }),
  },
};

const DOCUMENTS_RESOLVERS: Resolvers = {
  Query: {
    feed: () => DOCUMENTS,
    documents: () => DOCUMENTS,
    search: () => [DOCUMENTS[0], { __typename: "Memo", text: "remember" }, DOCUMENTS[1]],
  },
  User: {
    documents: (user) => DOCUMENTS.filter((document) => (document.owner as Row).id === user.id),
  },
};

const ENTITIES: Record<string, (representation: Row) => Row | undefined> = {
  User: (representation) => USERS.find((user) => user.id === representation.id) ?? { ...representation },
  Document: (representation) => DOCUMENTS.find((document) => document.id === representation.id),
};

/** A subgraph schema without @apollo/subgraph: the SDL plus the `_entities` entry point the query planner calls. */
function executableSchema(sdl: string, resolvers: Resolvers, entityTypes: readonly string[]): GraphQLSchema {
  const schema = buildSchema(
    `${sdl}
scalar _Any
union _Entity = ${entityTypes.join(" | ")}
extend type Query { _entities(representations: [_Any!]!): [_Entity]! }`,
    { assumeValidSDL: true },
  );
  for (const [typeName, fields] of Object.entries(resolvers)) {
    const type = schema.getType(typeName);
    if (!type || !("getFields" in type)) throw new Error(`no type ${typeName}`);
    for (const [fieldName, resolve] of Object.entries(fields)) {
      const field = type.getFields()[fieldName];
      if (!field || !("resolve" in field)) throw new Error(`no field ${typeName}.${fieldName}`);
      field.resolve = resolve;
    }
  }
  const entities = schema.getQueryType()?.getFields()._entities;
  if (entities) {
    entities.resolve = (_source, args: { representations: Row[] }) =>
      args.representations.map((representation) => {
        const typename = String(representation.__typename);
        const found = ENTITIES[typename]?.(representation);
        return found ? { ...found, __typename: typename } : null;
      });
  }
  for (const typeName of ["_Entity", "SearchResult"]) {
    const union = schema.getType(typeName);
    if (union && "resolveType" in union) union.resolveType = (value: Row) => String(value.__typename);
  }
  return schema;
}

export interface TinySubgraph {
  url: string;
  /** The query text of every GraphQL request received so far. */
  calls: string[];
  close(): Promise<void>;
}

async function startTinySubgraph(schema: GraphQLSchema): Promise<TinySubgraph> {
  const calls: string[] = [];
  const server = new ApolloServer({
    schema,
    plugins: [
      {
        async requestDidStart({ request }) {
          calls.push(request.query ?? "");
        },
      },
    ],
  });
  await server.start();
  const running = await listen(createGraphQLHttpHandler({ server, context: async () => ({}) }), 0);
  return {
    url: `${running.url}/graphql`,
    calls,
    close: async () => {
      await running.close();
      await server.stop();
    },
  };
}

export function startAccountsSubgraph(): Promise<TinySubgraph> {
  return startTinySubgraph(executableSchema(ACCOUNTS_SDL, ACCOUNTS_RESOLVERS, ["User"]));
}

export function startDocumentsSubgraph(): Promise<TinySubgraph> {
  return startTinySubgraph(executableSchema(DOCUMENTS_SDL, DOCUMENTS_RESOLVERS, ["Document", "User"]));
}
