import { parse, print, type GraphQLSchema } from "graphql";
import { ANONYMOUS, type Identity } from "@fedsession/subgraph-kit";
import { applyDenials, authorizeOperation, prepareSupergraph } from "../src/authorization";
import { composeApiSchema, composeSupergraph } from "./authorization-fixtures";

const user = (...permissions: string[]): Identity => ({
  authenticated: true,
  userId: "u1",
  permissions,
  sessionId: "s1",
});

describe("prepareSupergraph", () => {
  it("drops for: SECURITY from the authenticated and requiresScopes links only, on the AST", () => {
    const { plannerSdl } = prepareSupergraph(composeSupergraph());
    const schema = parse(plannerSdl);
    expect(schema.definitions.length).toBeGreaterThan(10);
    expect(plannerSdl).not.toContain("for: SECURITY");
    expect(plannerSdl).toContain('@link(url: "https://specs.apollo.dev/authenticated/v0.1")');
    expect(plannerSdl).toContain('@link(url: "https://specs.apollo.dev/requiresScopes/v0.1")');
    expect(plannerSdl).toContain('@link(url: "https://specs.apollo.dev/join/v0.4", for: EXECUTION)');
  });

  it("reads field and type requirements, scopes as an OR of ANDs", () => {
    const { policies } = prepareSupergraph(composeSupergraph());
    expect(policies.fields.get("Query.me")).toEqual({ authenticated: true, scopes: null });
    expect(policies.fields.get("Query.users")).toEqual({
      authenticated: false,
      scopes: [["users:admin"], ["users:read", "audit:read"]],
    });
    expect(policies.fields.get("User.documents")).toEqual({ authenticated: true, scopes: null });
    expect(policies.types.get("Secret")).toEqual({ authenticated: true, scopes: null });
    expect(policies.fields.has("Query.publicNote")).toBe(false);
  });

  it("follows a renamed link and keeps the purpose of security features it does not enforce", () => {
    const { plannerSdl, policies } = prepareSupergraph(`
      schema
        @link(url: "https://specs.apollo.dev/link/v1.0")
        @link(url: "https://specs.apollo.dev/authenticated/v0.1", as: "signedIn", for: SECURITY)
        @link(url: "https://specs.apollo.dev/policy/v0.1", for: SECURITY)
      { query: Query }
      directive @signedIn on FIELD_DEFINITION | OBJECT
      type Query { a: String @signedIn  b: String }
    `);
    expect(policies.fields.get("Query.a")).toEqual({ authenticated: true, scopes: null });
    expect(plannerSdl).toContain('@link(url: "https://specs.apollo.dev/authenticated/v0.1", as: "signedIn")');
    expect(plannerSdl).toContain('@link(url: "https://specs.apollo.dev/policy/v0.1", for: SECURITY)');
  });
});

describe("authorizeOperation", () => {
  let schema: GraphQLSchema;
  const { policies } = prepareSupergraph(composeSupergraph());
  beforeAll(() => {
    schema = composeApiSchema();
  });
  const authorize = (query: string, identity: Identity, variables?: Record<string, unknown>, name?: string) =>
    authorizeOperation(parse(query), name, variables, schema, policies, identity);
  const summary = (query: string, identity: Identity, variables?: Record<string, unknown>) => {
    const result = authorize(query, identity, variables);
    return {
      query: print(result.document).replace(/\s+/g, " ").trim(),
      denied: result.denied.map((denial) => `${denial.path.join(".")} ${denial.code}`),
      executable: result.executable,
    };
  };

  it("returns the very same document when nothing is refused", () => {
    const document = parse("{ publicNote me { name email } }");
    const result = authorizeOperation(document, undefined, undefined, schema, policies, user());
    expect(result).toEqual({ document, denied: [], executable: true });
    expect(result.document).toBe(document);
  });

  it("removes an @authenticated field for an anonymous caller and reports it under its alias", () => {
    expect(summary("{ publicNote mine: me { name } }", ANONYMOUS)).toEqual({
      query: "{ publicNote }",
      denied: ["mine UNAUTHENTICATED"],
      executable: true,
    });
  });

  it("checks @requiresScopes as an OR of ANDs: FORBIDDEN for a user, UNAUTHENTICATED for anonymous", () => {
    const query = "{ publicNote users { name } }";
    expect(summary(query, ANONYMOUS).denied).toEqual(["users UNAUTHENTICATED"]);
    expect(summary(query, user("users:read")).denied).toEqual(["users FORBIDDEN"]);
    expect(summary(query, user("users:read", "audit:read")).denied).toEqual([]);
    expect(summary(query, user("users:admin")).denied).toEqual([]);
    expect(authorize(query, user("users:read")).denied[0]?.message).toBe(
      "Missing permission for Query.users (needs users:admin or users:read and audit:read)",
    );
  });

  it("reports nested fields under lists with '@' and records where null may go", () => {
    const result = authorize("{ feed { title body summary } }", user());
    expect(print(result.document)).not.toMatch(/body|summary/);
    expect(result.denied.map((denial) => [denial.path, denial.nullable])).toEqual([
      [
        ["feed", "@", "body"],
        [false, false, true],
      ],
      [
        ["feed", "@", "summary"],
        [false, false, false],
      ],
    ]);
  });

  it("removes (and reports) a field whose every selected subfield is refused", () => {
    expect(summary("{ publicNote feed { body } }", user())).toEqual({
      query: "{ publicNote }",
      denied: ["feed.@.body FORBIDDEN", "feed FORBIDDEN"],
      executable: true,
    });
  });

  it("says nothing is left to execute when every root field is refused", () => {
    expect(summary("{ me { name } adminReport }", ANONYMOUS)).toEqual({
      query: expect.any(String),
      denied: ["me UNAUTHENTICATED", "adminReport UNAUTHENTICATED"],
      executable: false,
    });
  });

  it("looks inside named and inline fragments, inlining only the fragments it had to change", () => {
    const result = summary(
      `query Q { feed { ...Doc ... on Document { again: body } } me { ...Person } }
       fragment Doc on Document { title body }
       fragment Person on User { name }`,
      user(),
    );
    expect(result.denied).toEqual(["feed.@.body FORBIDDEN", "feed.@.again FORBIDDEN"]);
    expect(result.query).toBe(
      "query Q { feed { ... on Document { title } } me { ...Person } } fragment Person on User { name }",
    );
  });

  it("applies a type's directive to every field returning it", () => {
    expect(summary("{ publicNote secret { code } }", ANONYMOUS).denied).toEqual(["secret UNAUTHENTICATED"]);
    expect(summary("{ secret { code } }", user()).denied).toEqual([]);
  });

  it("refuses only the union members a fragment narrows to, marking their type for the response", () => {
    const result = authorize("{ search { ... on Document { title } ... on Memo { text } } }", ANONYMOUS);
    expect(result.denied.map((denial) => [denial.path.join("."), denial.parentTypes])).toEqual([
      ["search.@.text", ["Memo"]],
    ]);
    expect(print(result.document)).toContain("_authorizationTypename: __typename");
  });

  it("ignores selections that @skip or @include leave out", () => {
    const query = "query ($hide: Boolean!) { publicNote me @skip(if: $hide) { name } }";
    expect(summary(query, ANONYMOUS, { hide: true }).denied).toEqual([]);
    expect(summary(query, ANONYMOUS, { hide: false }).denied).toEqual(["me UNAUTHENTICATED"]);
  });

  it("authorizes the operation the request names", () => {
    const document = "query Open { publicNote } query Closed { me { name } }";
    expect(authorize(document, ANONYMOUS, undefined, "Open").denied).toEqual([]);
    expect(authorize(document, ANONYMOUS, undefined, "Closed").denied).toHaveLength(1);
  });
});

describe("applyDenials", () => {
  const { policies } = prepareSupergraph(composeSupergraph());
  const schema = composeApiSchema();
  const denialsFor = (query: string, identity: Identity) =>
    authorizeOperation(parse(query), undefined, undefined, schema, policies, identity).denied;

  it("writes null at a nullable refused field in every list item and adds one error per field", () => {
    const body = { data: { feed: [{ title: "a" }, { title: "b" }] } };
    applyDenials(body, denialsFor("{ feed { title body } }", user()));
    expect(body).toEqual({
      data: {
        feed: [
          { title: "a", body: null },
          { title: "b", body: null },
        ],
      },
      errors: [
        {
          message: "Missing permission for Document.body (needs documents:read)",
          path: ["feed", "@", "body"],
          extensions: { code: "FORBIDDEN" },
        },
      ],
    });
  });

  it("propagates the null of a refused non-null field to the nearest nullable parent", () => {
    const body: { data: Record<string, unknown> | null } = { data: { feed: [{ title: "a" }] } };
    applyDenials(body, denialsFor("{ feed { title summary } }", user()));
    expect(body.data).toBeNull();
  });

  it("nulls only the union members the refused fragment was about, then removes the type markers", () => {
    const body = {
      data: {
        search: [{ title: "a", _authorizationTypename: "Document" }, { _authorizationTypename: "Memo" }],
      },
    };
    applyDenials(body, denialsFor("{ search { ... on Document { title } ... on Memo { text } } }", ANONYMOUS));
    expect(body.data).toEqual({ search: [{ title: "a" }, null] });
  });
});
