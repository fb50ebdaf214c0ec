import { importSigningKey } from "@fedsession/runtime";
import { ANONYMOUS, GATEWAY_CONTEXT_HEADER, signContext } from "@fedsession/subgraph-kit";
import { cookieHeader } from "./client";
import { graphqlTarget, type LoadTarget } from "./load";
import { signStatelessToken } from "./peers/stateless-token";
import { PUBLIC_QUERY, TWO_SUBGRAPH_QUERY } from "./queries";
import { graphqlUrl, type BenchStack } from "./stack";

export interface Scenario {
  id: string;
  label: string;
  /** The request to repeat in the next run; credentials that expire are minted afresh each time. */
  prepare(): Promise<LoadTarget>;
  /** What a correct answer holds, checked once before the measured runs. */
  expects: "publicDocuments" | "me";
}

export interface Credentials {
  userId: string;
  cookie: string;
  /** Logs in with the TOKEN transport; null when the deployed schema has none. */
  accessToken: (() => Promise<string | null>) | null;
}

const TOKEN_LIFETIME_SECONDS = 15 * 60;
const PERMISSIONS = ["documents:read", "documents:write"];

export async function buildScenarios(stack: BenchStack, credentials: Credentials): Promise<Scenario[]> {
  const gateway = graphqlUrl(stack.gateway);
  const sessionKey = await importSigningKey(stack.keys, "session");
  const gatewayKey = await importSigningKey(stack.keys, "gateway");
  // What Hive forwards to the documents subgraph: an anonymous context, valid 60 s, so signed per run.
  const anonymousContext = async () => ({
    [GATEWAY_CONTEXT_HEADER]: await signContext(ANONYMOUS, "documents", gatewayKey),
  });
  const scenarios: Scenario[] = [
    {
      id: "A",
      label: "public query, anonymous",
      expects: "publicDocuments",
      prepare: async () => graphqlTarget(gateway, PUBLIC_QUERY),
    },
    {
      id: "B",
      label: "public query, session cookie",
      expects: "publicDocuments",
      prepare: async () => graphqlTarget(gateway, PUBLIC_QUERY, cookieHeader(credentials.cookie)),
    },
  ];
  const accessToken = credentials.accessToken;
  if (accessToken !== null) {
    scenarios.push({
      id: "C",
      label: "public query, bearer access token",
      expects: "publicDocuments",
      prepare: async () => {
        const token = await accessToken();
        if (token === null) throw new Error("the TOKEN transport stopped answering");
        return graphqlTarget(gateway, PUBLIC_QUERY, { authorization: `Bearer ${token}` });
      },
    });
  }
  scenarios.push(
    {
      id: "D",
      label: "two subgraphs (me + documents), cookie",
      expects: "me",
      prepare: async () => graphqlTarget(gateway, TWO_SUBGRAPH_QUERY, cookieHeader(credentials.cookie)),
    },
    {
      id: "S",
      label: "peer: same gateway, stateless JWT, no lookup",
      expects: "publicDocuments",
      prepare: async () => {
        const token = await signStatelessToken(
          { userId: credentials.userId, sessionId: "stateless-bench-session", permissions: PERMISSIONS },
          sessionKey,
          TOKEN_LIFETIME_SECONDS,
        );
        return graphqlTarget(graphqlUrl(stack.statelessGateway), PUBLIC_QUERY, { authorization: `Bearer ${token}` });
      },
    },
    {
      id: "H0",
      label: "peer: Hive Gateway, anonymous",
      expects: "publicDocuments",
      prepare: async () => graphqlTarget(graphqlUrl(stack.hiveGateway), PUBLIC_QUERY, await anonymousContext()),
    },
    {
      id: "HJ",
      label: "peer: Hive Gateway, JWT plugin (RS256)",
      expects: "publicDocuments",
      prepare: async () =>
        graphqlTarget(graphqlUrl(stack.hiveGateway), PUBLIC_QUERY, {
          ...(await anonymousContext()),
          authorization: `Bearer ${await stack.hiveTokens.mint(credentials.userId, TOKEN_LIFETIME_SECONDS)}`,
        }),
    },
  );
  return scenarios;
}

/** Sends the scenario's request once and fails loudly unless the answer is the data the scenario is about. */
export async function checkScenario(scenario: Scenario): Promise<void> {
  const target = await scenario.prepare();
  const response = await fetch(target.url, { method: "POST", headers: target.headers, body: target.body });
  const body = (await response.json()) as { data?: Record<string, unknown> | null; errors?: unknown[] };
  const value = body.data?.[scenario.expects];
  const ok =
    response.ok &&
    body.errors === undefined &&
    (scenario.expects === "me"
      ? typeof value === "object" && value !== null
      : Array.isArray(value) && value.length > 0);
  if (!ok)
    throw new Error(`scenario ${scenario.id} (${scenario.label}) answered ${response.status}: ${JSON.stringify(body)}`);
}
