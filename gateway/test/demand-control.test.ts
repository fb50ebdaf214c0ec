import { readFileSync } from "node:fs";
import path from "node:path";
import { composeServices } from "@apollo/composition";
import { ApolloServer } from "@apollo/server";
import { Kind, buildSchema, parse, validate, type FragmentDefinitionNode, type GraphQLSchema } from "graphql";
import { ANONYMOUS } from "@fedsession/subgraph-kit";
import { authorizeOperation, prepareSupergraph } from "../src/authorization";
import {
  COST_ESTIMATED_TOO_EXPENSIVE,
  collectCostDirectives,
  demandControlPlugin,
  estimateOperationCost,
  type CostDirectives,
} from "../src/demand-control";
import { operationLimitsRule } from "../src/limits";

const ROOT = path.resolve(__dirname, "../..");
const OPTIONS = { defaultListSize: 100 };

/** The project's own supergraph, composed the way `pnpm compose` does, and the API schema clients see. */
function projectSupergraph(): { sdl: string; schema: GraphQLSchema } {
  const services = ["session", "auth", "documents"].map((name) => ({
    name,
    url: `http://${name}.invalid/graphql`,
    typeDefs: parse(readFileSync(path.join(ROOT, "subgraphs", name, "schema.graphql"), "utf8")),
  }));
  const result = composeServices(services);
  if (result.errors) throw new Error(result.errors.map((error) => error.message).join("\n"));
  return { sdl: result.supergraphSdl, schema: result.schema.toAPISchema().toGraphQLJSSchema() };
}

function costOf(
  source: string,
  schema: GraphQLSchema,
  directives: CostDirectives,
  variables: Record<string, unknown> = {},
): number {
  const document = parse(source);
  expect(validate(schema, document)).toEqual([]);
  const operation = document.definitions.find((definition) => definition.kind === Kind.OPERATION_DEFINITION);
  if (operation?.kind !== Kind.OPERATION_DEFINITION) throw new Error("no operation");
  const fragments = new Map(
    document.definitions
      .filter((definition): definition is FragmentDefinitionNode => definition.kind === Kind.FRAGMENT_DEFINITION)
      .map((definition) => [definition.name.value, definition]),
  );
  return estimateOperationCost(operation, fragments, variables, schema, directives, OPTIONS);
}

/** Issue 8, item 1: each of 22 fragments spreads the next one twice (about 1 KB, 2^21 expanded spreads). */
function fanOutDocument(fragments: number): string {
  const lines = ["query FanOut { publicDocuments(first: 1) { ...F0 } }"];
  for (let i = 0; i < fragments; i++) {
    lines.push(
      i + 1 < fragments
        ? `fragment F${i} on Document { id ...F${i + 1} ...F${i + 1} }`
        : `fragment F${i} on Document { id title }`,
    );
  }
  return lines.join("\n");
}

const AMPLIFICATION =
  "{ publicDocuments(first: 30) { owner { documents { owner { documents { owner { documents { owner { documents { id } } } } } } } } } }";

describe("the cost estimate (Apollo Router's static estimate)", () => {
  const schema = buildSchema(`
    directive @cost(weight: Int!) on ARGUMENT_DEFINITION | ENUM | FIELD_DEFINITION | INPUT_FIELD_DEFINITION | OBJECT | SCALAR
    directive @listSize(assumedSize: Int, slicingArguments: [String!], sizedFields: [String!], requireOneSlicingArgument: Boolean = true) on FIELD_DEFINITION
    type Query {
      book: Book
      books(first: Int, last: Int): [Book!]! @listSize(slicingArguments: ["first", "last"], requireOneSlicingArgument: false)
      shelves: [Shelf!]! @listSize(assumedSize: 4)
      anything: [Book!]!
      search(term: String @cost(weight: 7)): Book
      page(first: Int!): BookPage! @listSize(slicingArguments: ["first"], sizedFields: ["items"])
      heavy: Heavy
    }
    type Mutation { like(id: ID!): Book }
    type Book { id: ID! title: String! author: Author! rating: Int @cost(weight: 3) }
    type Author { name: String! }
    type Shelf { books: [Book!]! @listSize(assumedSize: 5) }
    type BookPage { items: [Book!]! total: Int! }
    type Heavy @cost(weight: 20) { id: ID! }
  `);
  const directives = collectCostDirectives(
    parse(`
      schema @link(url: "https://specs.apollo.dev/link/v1.0") @link(url: "https://specs.apollo.dev/cost/v0.1", import: ["@cost", "@listSize"]) { query: Query }
      ${`type Query {
        books(first: Int, last: Int): [Book!]! @listSize(slicingArguments: ["first", "last"], requireOneSlicingArgument: false)
        shelves: [Shelf!]! @listSize(assumedSize: 4)
        search(term: String @cost(weight: 7)): Book
        page(first: Int!): BookPage! @listSize(slicingArguments: ["first"], sizedFields: ["items"])
      }
      type Book { rating: Int @cost(weight: 3) }
      type Shelf { books: [Book!]! @listSize(assumedSize: 5) }
      type Heavy @cost(weight: 20) { id: ID! }`}
    `),
  );
  const cost = (source: string, variables: Record<string, unknown> = {}) =>
    costOf(source, schema, directives, variables);

  it("charges 1 per object and nothing per scalar or enum", () => {
    expect(cost("{ book { id title } }")).toBe(1);
    expect(cost("{ book { id author { name } } }")).toBe(2);
    expect(cost("{ __typename book { __typename } }")).toBe(1);
  });

  it("multiplies a list by its slicing argument, its assumed size, or the default for unannotated lists", () => {
    expect(cost("{ books(first: 7) { id author { name } } }")).toBe(7 * 2);
    expect(cost("query ($n: Int) { books(first: $n) { id } }", { n: 12 })).toBe(12);
    expect(cost("{ books(first: 3, last: 9) { id } }")).toBe(9);
    expect(cost("{ shelves { books { id } } }")).toBe(4 * (1 + 5));
    expect(cost("{ anything { id } }")).toBe(OPTIONS.defaultListSize);
  });

  it("sizes the sizedFields of a connection by the slicing argument instead of the field itself", () => {
    expect(cost("{ page(first: 30) { total items { id } } }")).toBe(1 + 30);
  });

  it("takes @cost weights from fields, types and given arguments, and 10 per mutation field", () => {
    expect(cost("{ book { rating } }")).toBe(1 + 3);
    expect(cost("{ heavy { id } }")).toBe(20);
    expect(cost('{ search(term: "x") { id } }')).toBe(1 + 7);
    expect(cost("{ search { id } }")).toBe(1);
    expect(cost('mutation { like(id: "1") { id } }')).toBe(1 + 10);
  });

  it("counts a fragment wherever it is spread, computing it once", () => {
    const source = `{ books(first: 2) { ...B } book { ...B } } fragment B on Book { author { name } }`;
    expect(cost(source)).toBe(2 * (1 + 1) + (1 + 1));
  });
});

describe("demand control on the project's supergraph", () => {
  const { sdl, schema } = projectSupergraph();
  const directives = collectCostDirectives(parse(sdl));

  it("reads @listSize from the composed supergraph for every annotated list", () => {
    expect(directives.listSizes.get("Query.publicDocuments")?.slicingArguments).toEqual(["first"]);
    expect(directives.listSizes.get("User.documents")?.slicingArguments).toEqual(["first"]);
    expect(directives.listSizes.get("User.permissions")?.assumedSize).toBe(10);
  });

  it("estimates issue 8's amplification query far over the default MAX_QUERY_COST, and a page of documents under it", () => {
    expect(costOf(AMPLIFICATION, schema, directives)).toBeGreaterThan(300_000);
    expect(costOf("{ me { email documents(first: 100) { title owner { email } } } }", schema, directives)).toBe(
      1 + 100 * 2,
    );
  });

  it("refuses an operation over the limit with COST_ESTIMATED_TOO_EXPENSIVE, the estimate and the limit, HTTP 400", async () => {
    const server = new ApolloServer({
      schema,
      plugins: [demandControlPlugin({ maxCost: 5000, defaultListSize: 100, directives })],
    });
    await server.start();
    try {
      const response = await server.executeOperation({ query: AMPLIFICATION });
      expect(response.http.status).toBe(400);
      if (response.body.kind !== "single") throw new Error("expected a single result");
      const [error] = response.body.singleResult.errors ?? [];
      expect(error?.extensions?.code).toBe(COST_ESTIMATED_TOO_EXPENSIVE);
      expect(error?.extensions?.cost).toEqual({ estimated: costOf(AMPLIFICATION, schema, directives), max: 5000 });
      expect(response.body.singleResult.data).toBeUndefined();
    } finally {
      await server.stop();
    }
  });

  it("issue 8 item 1: 22 fragments each spreading the next twice pass the limits, authorization and cost in well under a second", () => {
    const document = parse(fanOutDocument(22));
    const { policies } = prepareSupergraph(sdl);
    const limits = { maxDepth: 10, maxAliases: 30, maxRootFields: 25, maxTokens: 3000 };
    const started = process.hrtime.bigint();
    expect(validate(schema, document, [operationLimitsRule(limits)])).toEqual([]);
    authorizeOperation(document, undefined, {}, schema, policies, ANONYMOUS);
    const cost = costOf(fanOutDocument(22), schema, directives);
    const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
    // The old walkers took tens of seconds here (2^21 fragment walks); a generous bound for a loaded machine.
    expect(elapsedMs).toBeLessThan(1000);
    expect(cost).toBe(1);
  });
});
