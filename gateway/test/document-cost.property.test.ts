import { readFileSync } from "node:fs";
import path from "node:path";
import { composeServices } from "@apollo/composition";
import fc from "fast-check";
import { Kind, parse, specifiedRules, validate, type DocumentNode, type FragmentDefinitionNode } from "graphql";
import { ANONYMOUS, type Identity } from "@fedsession/subgraph-kit";
import { authorizeOperation, prepareSupergraph } from "../src/authorization";
import { collectCostDirectives, estimateOperationCost } from "../src/demand-control";
import { operationLimitsRule } from "../src/limits";

const ROOT = path.resolve(__dirname, "../..");
const LIMITS = { maxDepth: 10, maxAliases: 30, maxRootFields: 25, maxTokens: 3000 };
/**
 * CPU time per phase per document. process.cpuUsage counts every thread of the test process, GC helpers included, so
 * a collection inside one phase lands on it: 50 ms failed once in CI at 61 ms (graphql-js validation of a 60-fragment
 * document). The old walkers took seconds on such shapes, so 200 ms still tells linear from blown up.
 */
const BUDGET_MS = 200;

const services = ["session", "auth", "documents"].map((name) => ({
  name,
  url: `http://${name}.invalid/graphql`,
  typeDefs: parse(readFileSync(path.join(ROOT, "subgraphs", name, "schema.graphql"), "utf8")),
}));
const composed = composeServices(services);
if (composed.errors) throw new Error(composed.errors.map((error) => error.message).join("\n"));
const schema = composed.schema.toAPISchema().toGraphQLJSSchema();
const { policies } = prepareSupergraph(composed.supergraphSdl);
const directives = collectCostDirectives(parse(composed.supergraphSdl));
const reader: Identity = { authenticated: true, userId: "u1", permissions: ["documents:read"], sessionId: "s1" };

const SCALARS = ["id", "title", "body", "public", "createdAt"];

/** A fragment on Document: some scalar fields and spreads of later fragments (so no cycles), some nested. */
const fragmentShape = fc.record({
  fields: fc.subarray(SCALARS, { minLength: 1 }),
  spreads: fc.array(fc.record({ ahead: fc.integer({ min: 1, max: 3 }), nested: fc.boolean() }), { maxLength: 4 }),
});

/** Fragment fan-out (each spreading later ones, maybe through owner.documents) under deep owner/documents nesting. */
const documentText = fc
  .record({
    fragments: fc.array(fragmentShape, { minLength: 1, maxLength: 60 }),
    depth: fc.integer({ min: 0, max: 12 }),
    first: fc.integer({ min: 1, max: 100 }),
  })
  .map(({ fragments, depth, first }) => {
    const definitions = fragments.map((shape, index) => {
      const spreads = shape.spreads
        .filter(({ ahead }) => index + ahead < fragments.length)
        .map(({ ahead, nested }) =>
          nested ? `owner { documents(first: ${first}) { ...F${index + ahead} } }` : `...F${index + ahead}`,
        );
      return `fragment F${index} on Document { ${[...shape.fields, ...spreads].join(" ")} }`;
    });
    let selection = "...F0";
    for (let level = 0; level < depth; level++) selection = `owner { documents(first: ${first}) { ${selection} } }`;
    return [`query Generated { publicDocuments(first: ${first}) { ${selection} } }`, ...definitions].join("\n");
  });

function cpuMs(run: () => unknown): number {
  const started = process.cpuUsage();
  run();
  const used = process.cpuUsage(started);
  return (used.user + used.system) / 1000;
}

function fragmentsOf(document: DocumentNode): Map<string, FragmentDefinitionNode> {
  return new Map(
    document.definitions
      .filter((definition): definition is FragmentDefinitionNode => definition.kind === Kind.FRAGMENT_DEFINITION)
      .map((definition) => [definition.name.value, definition]),
  );
}

describe("every document up to the token limit stays cheap to check (fast-check)", () => {
  it(`validates, authorizes and costs each generated document in under ${BUDGET_MS} ms of CPU per phase`, () => {
    let checked = 0;
    fc.assert(
      fc.property(documentText, fc.constantFrom(ANONYMOUS, reader), (text, identity) => {
        let document: DocumentNode;
        try {
          document = parse(text, { maxTokens: LIMITS.maxTokens });
        } catch {
          // Over the token limit: Apollo refuses it at parse time, before any of the walkers run.
          return;
        }
        checked++;
        const operation = document.definitions[0];
        if (operation?.kind !== Kind.OPERATION_DEFINITION) throw new Error("no operation");
        expect(cpuMs(() => validate(schema, document, [...specifiedRules, operationLimitsRule(LIMITS)]))).toBeLessThan(
          BUDGET_MS,
        );
        expect(cpuMs(() => authorizeOperation(document, undefined, {}, schema, policies, identity))).toBeLessThan(
          BUDGET_MS,
        );
        expect(
          cpuMs(() =>
            estimateOperationCost(operation, fragmentsOf(document), {}, schema, directives, { defaultListSize: 100 }),
          ),
        ).toBeLessThan(BUDGET_MS);
      }),
      { numRuns: 150 },
    );
    expect(checked).toBeGreaterThan(50);
  });
});
