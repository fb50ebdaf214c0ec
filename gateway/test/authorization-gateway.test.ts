import { ApolloGateway, RemoteGraphQLDataSource } from "@apollo/gateway";
import { ApolloServer } from "@apollo/server";
import { ANONYMOUS, type Identity } from "@fedsession/subgraph-kit";
import { authorizationPlugin, prepareSupergraph } from "../src/authorization";
import {
  composeSupergraph,
  startAccountsSubgraph,
  startDocumentsSubgraph,
  type TinySubgraph,
} from "./authorization-fixtures";

interface TestContext {
  identity: Identity;
}

const user = (...permissions: string[]): Identity => ({
  authenticated: true,
  userId: "u1",
  permissions,
  sessionId: "s1",
});

interface Answer {
  data?: Record<string, unknown> | null;
  errors?: { message: string; path?: readonly (string | number)[]; extensions?: Record<string, unknown> }[];
}

describe("auth directives enforced by a real gateway in front of real subgraphs", () => {
  let accounts: TinySubgraph;
  let documents: TinySubgraph;
  let server: ApolloServer<TestContext>;
  const supergraphSdl = composeSupergraph();

  beforeAll(async () => {
    [accounts, documents] = await Promise.all([startAccountsSubgraph(), startDocumentsSubgraph()]);
    const urls: Record<string, string> = { accounts: accounts.url, documents: documents.url };
    const { plannerSdl, policies } = prepareSupergraph(supergraphSdl);
    server = new ApolloServer<TestContext>({
      gateway: new ApolloGateway({
        supergraphSdl: plannerSdl,
        buildService: ({ name }) => new RemoteGraphQLDataSource({ url: urls[name] }),
      }),
      plugins: [authorizationPlugin<TestContext>(policies)],
    });
    await server.start();
  });

  afterAll(async () => {
    await server?.stop();
    await Promise.all([accounts?.close(), documents?.close()]);
  });

  beforeEach(() => {
    accounts.calls.length = 0;
    documents.calls.length = 0;
  });

  async function run(query: string, identity: Identity, variables?: Record<string, unknown>): Promise<Answer> {
    const response = await server.executeOperation({ query, variables }, { contextValue: { identity } });
    if (response.body.kind !== "single") throw new Error("expected a single result");
    return response.body.singleResult as Answer;
  }

  const errorSummary = (answer: Answer) =>
    (answer.errors ?? []).map((error) => `${(error.path ?? []).join(".")} ${String(error.extensions?.code)}`);

  it("is needed because the gateway refuses a supergraph whose auth links are for: SECURITY", async () => {
    const plain = new ApolloServer({ gateway: new ApolloGateway({ supergraphSdl }) });
    await expect(plain.start()).rejects.toThrow(/for: SECURITY/);
  });

  it("answers refused fields with null and an error while the rest of the query answers", async () => {
    const answer = await run("{ publicNote me { name } }", ANONYMOUS);
    expect(answer.data).toEqual({ publicNote: "hello", me: null });
    expect(answer.errors).toEqual([
      { message: "You must be signed in to access Query.me", path: ["me"], extensions: { code: "UNAUTHENTICATED" } },
    ]);
    expect(accounts.calls.join("\n")).not.toContain("me");
  });

  it("calls no subgraph at all when every requested field is refused", async () => {
    const answer = await run("{ me { name } adminReport secret { code } }", ANONYMOUS);
    expect(answer.data).toEqual({ me: null, adminReport: null, secret: null });
    expect(errorSummary(answer)).toEqual([
      "me UNAUTHENTICATED",
      "adminReport UNAUTHENTICATED",
      "secret UNAUTHENTICATED",
    ]);
    expect(accounts.calls).toEqual([]);
    expect(documents.calls).toEqual([]);
  });

  it("gives a signed-in user without the scope FORBIDDEN, and the subgraph never sees the field", async () => {
    const answer = await run("{ me { name documents { title body } } }", user());
    expect(answer.data).toEqual({
      me: { name: "Alice", documents: [{ title: "Hello", body: null }] },
    });
    expect(errorSummary(answer)).toEqual(["me.documents.@.body FORBIDDEN"]);
    expect(documents.calls.length).toBeGreaterThan(0);
    expect(documents.calls.join("\n")).not.toContain("body");
  });

  it("shows everything to a caller holding the scopes, with the same query text", async () => {
    const query = "query Report { me { email } users { name } adminReport }";
    const admin = await run(query, user("users:admin"));
    expect(admin).toEqual({
      data: {
        me: { email: "alice@example.com" },
        users: [{ name: "Alice" }, { name: "Bob" }],
        adminReport: "all good",
      },
    });
    const reader = await run(query, user("users:read"));
    expect(errorSummary(reader)).toEqual(["users FORBIDDEN", "adminReport FORBIDDEN"]);
    // The query plan cached for the trimmed operation must not leak into the full one, nor the other way round.
    expect(await run(query, user("users:admin"))).toEqual(admin);
  });

  it("nulls the nearest nullable parent of a refused non-null field", async () => {
    const answer = await run("{ publicNote feed { title summary } }", user());
    expect(answer.data).toBeNull();
    expect(errorSummary(answer)).toEqual(["feed.@.summary FORBIDDEN"]);
  });

  it("handles fragments, aliases and variables on the way to the subgraphs", async () => {
    const answer = await run(
      `query Feed($withBody: Boolean!) {
         docs: feed { ...Doc text: body @include(if: $withBody) }
       }
       fragment Doc on Document { title owner { id } }`,
      user(),
      { withBody: true },
    );
    expect(answer.data).toEqual({
      docs: [
        { title: "Hello", owner: { id: "u1" }, text: null },
        { title: "World", owner: { id: "u2" }, text: null },
      ],
    });
    expect(errorSummary(answer)).toEqual(["docs.@.text FORBIDDEN"]);
  });

  it("refuses only the union members a fragment is about", async () => {
    const answer = await run("{ search { __typename ... on Document { title } ... on Memo { text } } }", ANONYMOUS);
    expect(answer.data).toEqual({
      search: [{ __typename: "Document", title: "Hello" }, null, { __typename: "Document", title: "World" }],
    });
    expect(errorSummary(answer)).toEqual(["search.@.text UNAUTHENTICATED"]);
  });
});
