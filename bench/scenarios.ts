import { importSigningKey } from "@fedsession/runtime";
import { ANONYMOUS, GATEWAY_CONTEXT_HEADER, signContext } from "@fedsession/subgraph-kit";
import { cookieHeader } from "./client";
import { graphqlTarget, headersFor, type LoadTarget } from "./load";
import { signStatelessToken } from "./peers/stateless-token";
import { ME_QUERY, PUBLIC_QUERY, TWO_SUBGRAPH_QUERY } from "./queries";
import { graphqlUrl, type BenchStack, type GatewayProcess } from "./stack";

export interface Scenario {
  id: string;
  label: string;
  /** The gateway process that serves it (its CPU time is the scenario's gateway cost). */
  process: GatewayProcess;
  /** The request to repeat in the next run; credentials that expire are minted afresh each time. */
  prepare(): Promise<LoadTarget>;
  /** What a correct answer holds, checked once before the measured runs. */
  expects: "publicDocuments" | "me";
}

export interface Credentials {
  userId: string;
  cookie: string;
  /** Distinct live sessions of the same user, used in turn, so concurrent requests never share a lookup. */
  cookies: string[];
  /** Logs in with the TOKEN transport; null when the deployed schema has none. */
  accessToken: (() => Promise<string | null>) | null;
}

/** Which gateway process serves each scenario (the one `--profile <scenario>` profiles). */
export const SCENARIO_PROCESSES = {
  A: "gateway",
  B: "gateway",
  BC: "cached-gateway",
  "A@BC": "cached-gateway",
  B1: "gateway",
  C: "gateway",
  D: "gateway",
  S: "stateless-gateway",
  "A@S": "stateless-gateway",
  AM: "gateway-metrics",
  AN: "gateway-no-metrics",
  H0: "hive-gateway",
  HJ: "hive-gateway",
} as const satisfies Record<string, GatewayProcess>;

const processById = new Map<string, GatewayProcess>(Object.entries(SCENARIO_PROCESSES));

export function scenarioProcess(id: string): GatewayProcess | null {
  return processById.get(id) ?? null;
}

const TOKEN_LIFETIME_SECONDS = 15 * 60;
const PERMISSIONS = ["documents:read", "documents:write"];

/** The target with one session cookie per request, taken in turn. */
export function withCookies(target: LoadTarget, cookies: string[]): LoadTarget {
  return { ...target, variants: cookies.map((cookie) => cookieHeader(cookie)) };
}

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
      process: SCENARIO_PROCESSES.A,
      label: "public query, anonymous",
      expects: "publicDocuments",
      prepare: async () => graphqlTarget(gateway, PUBLIC_QUERY),
    },
    {
      id: "B",
      process: SCENARIO_PROCESSES.B,
      label: `public query, session cookie (${credentials.cookies.length} sessions in turn)`,
      expects: "publicDocuments",
      prepare: async () => withCookies(graphqlTarget(gateway, PUBLIC_QUERY), credentials.cookies),
    },
    {
      id: "BC",
      process: SCENARIO_PROCESSES.BC,
      label: `public query, session cookie, SESSION_CACHE=on (${credentials.cookies.length} sessions)`,
      expects: "publicDocuments",
      prepare: async () =>
        withCookies(graphqlTarget(graphqlUrl(stack.cachedGateway), PUBLIC_QUERY), credentials.cookies),
    },
    {
      id: "A@BC",
      process: SCENARIO_PROCESSES["A@BC"],
      label: "control: A on BC's gateway (SESSION_CACHE=on)",
      expects: "publicDocuments",
      prepare: async () => graphqlTarget(graphqlUrl(stack.cachedGateway), PUBLIC_QUERY),
    },
    {
      id: "B1",
      process: SCENARIO_PROCESSES.B1,
      label: "public query, one cookie on every connection",
      expects: "publicDocuments",
      prepare: async () => graphqlTarget(gateway, PUBLIC_QUERY, cookieHeader(credentials.cookie)),
    },
  ];
  const accessToken = credentials.accessToken;
  if (accessToken !== null) {
    scenarios.push({
      id: "C",
      process: SCENARIO_PROCESSES.C,
      label: "public query, bearer access token",
      expects: "publicDocuments",
      prepare: async () => {
        // Access tokens live minutes, so each run mints its own set: one per session, used in turn.
        // One after another: the login throttle counts attempts before checking them, so a burst would be refused.
        const tokens: (string | null)[] = [];
        for (let i = 0; i < credentials.cookies.length; i++) tokens.push(await accessToken());
        if (tokens.some((token) => token === null)) throw new Error("the TOKEN transport stopped answering");
        return {
          ...graphqlTarget(gateway, PUBLIC_QUERY),
          variants: tokens.map((token) => ({ authorization: `Bearer ${token}` })),
        };
      },
    });
  }
  scenarios.push(
    {
      id: "D",
      process: SCENARIO_PROCESSES.D,
      label: "two subgraphs (me + documents), cookie",
      expects: "me",
      prepare: async () => withCookies(graphqlTarget(gateway, TWO_SUBGRAPH_QUERY), credentials.cookies),
    },
    {
      id: "S",
      process: SCENARIO_PROCESSES.S,
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
      id: "A@S",
      process: SCENARIO_PROCESSES["A@S"],
      label: "control: A on S's gateway (the stateless peer)",
      expects: "publicDocuments",
      prepare: async () => graphqlTarget(graphqlUrl(stack.statelessGateway), PUBLIC_QUERY),
    },
    {
      id: "AM",
      process: SCENARIO_PROCESSES.AM,
      label: "A on a twin gateway with METRICS_PORT (metrics on)",
      expects: "publicDocuments",
      prepare: async () => graphqlTarget(graphqlUrl(stack.metricsGateway), PUBLIC_QUERY),
    },
    {
      id: "AN",
      process: SCENARIO_PROCESSES.AN,
      label: "A on a twin gateway without METRICS_PORT (metrics off)",
      expects: "publicDocuments",
      prepare: async () => graphqlTarget(graphqlUrl(stack.noMetricsGateway), PUBLIC_QUERY),
    },
    {
      id: "H0",
      process: SCENARIO_PROCESSES.H0,
      label: "peer: Hive Gateway, anonymous",
      expects: "publicDocuments",
      prepare: async () => graphqlTarget(graphqlUrl(stack.hiveGateway), PUBLIC_QUERY, await anonymousContext()),
    },
    {
      id: "HJ",
      process: SCENARIO_PROCESSES.HJ,
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

/**
 * Sends the scenario's request once and fails loudly unless the answer is the data the scenario is about; a
 * scenario with credentials in turn also proves every one of them is a live session (me is not null).
 */
export async function checkScenario(scenario: Scenario): Promise<void> {
  const target = await scenario.prepare();
  const ask = async (query: string | null, headers: Record<string, string>) => {
    const response = await fetch(target.url, {
      method: "POST",
      headers,
      body: query === null ? target.body : JSON.stringify({ query }),
    });
    return {
      status: response.status,
      ok: response.ok,
      body: (await response.json()) as { data?: Record<string, unknown> | null; errors?: unknown[] },
    };
  };
  const fail = (status: number, body: unknown) => {
    throw new Error(`scenario ${scenario.id} (${scenario.label}) answered ${status}: ${JSON.stringify(body)}`);
  };
  const first = await ask(null, headersFor(target, 0));
  const value = first.body.data?.[scenario.expects];
  const answered =
    scenario.expects === "me" ? typeof value === "object" && value !== null : Array.isArray(value) && value.length > 0;
  if (!first.ok || first.body.errors !== undefined || !answered) fail(first.status, first.body);
  for (let n = 0; n < (target.variants?.length ?? 0); n++) {
    const me = await ask(ME_QUERY, headersFor(target, n));
    if (me.body.data?.me == null) fail(me.status, me.body);
  }
}
