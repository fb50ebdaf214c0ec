/**
 * Benchmark peer: Hive Gateway (one process, like our gateway) on the same supergraph and subgraphs, with its JWT
 * plugin verifying an RS256 bearer token when one is sent and letting anonymous requests through otherwise.
 *
 * Our subgraphs accept only requests carrying a gateway-signed context (x-gateway-context). Hive cannot sign one,
 * so the benchmark signs a fresh anonymous context for the documents subgraph every round and sends it as a
 * client header, which Hive's header propagation forwards to that subgraph: the subgraph then verifies exactly
 * as much as it does behind our gateway, and Hive does no signing work (a small advantage to Hive).
 *
 * Env: HIVE_PORT, SUPERGRAPH_PATH, AUTH_URL, DOCUMENTS_URL, SESSION_URL (origins), JWT_PUBLIC_KEY (SPKI PEM).
 */
import { readFile } from "node:fs/promises";
import { createServer } from "node:http";
import {
  createGatewayRuntime,
  createInlineSigningKeyProvider,
  useJWT,
  type GatewayPlugin,
} from "@graphql-hive/gateway";
import { EnvReader } from "@fedsession/runtime";
import { GATEWAY_CONTEXT_HEADER } from "@fedsession/subgraph-kit";
import { HIVE_JWT_AUDIENCE, HIVE_JWT_ISSUER } from "./hive-token";

/** Points every subgraph of the composed supergraph at the URL this run started it on. */
function withSubgraphUrls(supergraph: string, urls: Record<string, string>): string {
  return supergraph.replace(/@join__graph\(name: "([a-z]+)", url: "[^"]*"\)/g, (whole, name: string) => {
    const url = urls[name];
    return url === undefined ? whole : `@join__graph(name: "${name}", url: "${new URL("/graphql", url).toString()}")`;
  });
}

async function main(): Promise<void> {
  const env = new EnvReader(process.env);
  const port = env.port("HIVE_PORT", 4100);
  const supergraph = withSubgraphUrls(await readFile(env.string("SUPERGRAPH_PATH", "supergraph.graphql"), "utf8"), {
    auth: env.url("AUTH_URL", "http://127.0.0.1:4002"),
    documents: env.url("DOCUMENTS_URL", "http://127.0.0.1:4003"),
    session: env.url("SESSION_URL", "http://127.0.0.1:4001"),
  });
  const publicKey = env.string("JWT_PUBLIC_KEY", "");
  // The plugin's declared context type differs from the runtime's only in the variance of extendContext; Hive's own
  // CLI wires the same plugin from untyped configuration (its `jwt` option), which is what this mirrors.
  const jwt = useJWT({
    signingKeyProviders: [createInlineSigningKeyProvider(publicKey)],
    tokenVerification: { algorithms: ["RS256"], issuer: HIVE_JWT_ISSUER, audience: HIVE_JWT_AUDIENCE },
    reject: { missingToken: false, invalidToken: true },
  }) as unknown as GatewayPlugin;
  const gateway = createGatewayRuntime({
    supergraph,
    logging: "error",
    landingPage: false,
    healthCheckEndpoint: "/health",
    graphiql: false,
    propagateHeaders: {
      fromClientToSubgraphs: ({ request }) => ({
        [GATEWAY_CONTEXT_HEADER]: request.headers.get(GATEWAY_CONTEXT_HEADER),
      }),
    },
    plugins: () => [jwt],
  });
  const server = createServer(gateway);
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const stop = () => {
    server.close();
    void Promise.resolve(gateway.dispose()).then(() => process.exit(0));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

main().catch((error: unknown) => {
  console.error(`hive gateway failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
