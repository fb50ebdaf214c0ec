/**
 * The files of a new subgraph, laid out like the others (schema.graphql at the package root, resolvers per type, a
 * store port with its adapter, config, a server that does not listen, start-up through runSubgraph).
 */

export interface SubgraphNames {
  /** The supergraph.yaml name: lowercase letters. */
  name: string;
  /** The name with a capital, for type names (`Invoices`). */
  pascal: string;
  /** The port variable, `<NAME>_PORT`. */
  portVariable: string;
  port: number;
}

export function subgraphNames(name: string, port: number): SubgraphNames {
  return {
    name,
    pascal: name.charAt(0).toUpperCase() + name.slice(1),
    portVariable: `${name.toUpperCase()}_PORT`,
    port,
  };
}

/** The versions every subgraph of the workspace uses, so there is one copy of graphql and Apollo in it. */
const DEPENDENCIES = {
  "@apollo/server": "5.5.1",
  "@apollo/subgraph": "2.14.4",
  "@fedsession/runtime": "workspace:*",
  "@fedsession/subgraph-host": "workspace:*",
  "@fedsession/subgraph-kit": "workspace:*",
  graphql: "16.15.0",
};

/** conformanceKeysDir, which writes this repository's KEYS_DIR for the conformance test. */
const DEV_DEPENDENCIES = { "@fedsession/testing": "workspace:*" };

/** Every file of `subgraphs/<name>/`, by path inside it. src/generated/graphql.ts comes from `pnpm codegen`. */
export function subgraphFiles({ name, pascal, portVariable, port }: SubgraphNames): Record<string, string> {
  const context = `${pascal}Context`;
  return {
    "package.json": `${JSON.stringify(
      {
        name: `@fedsession/${name}`,
        version: "0.1.0",
        private: true,
        main: "src/main.ts",
        dependencies: DEPENDENCIES,
        devDependencies: DEV_DEPENDENCIES,
      },
      null,
      2,
    )}\n`,

    "schema.graphql": `extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@authenticated"])

type Query {
  "Greets the signed-in caller by user id, read from the context the gateway signed for this subgraph."
  ${name}Hello: String! @authenticated
}
`,

    "codegen.ts": `import { subgraphCodegen } from "../../scripts/codegen-config";

export default subgraphCodegen(__dirname, { contextType: "../context#${context}" });
`,

    "src/context.ts": `import type { Identity } from "@fedsession/subgraph-kit";
import type { GreetingStore } from "./store/greeting-store";

/** What every resolver receives: the caller as the gateway signed it, and the stores. */
export interface ${context} {
  identity: Identity;
  greetings: GreetingStore;
}
`,

    "src/store/greeting-store.ts": `/** The port every greeting store adapter implements (memory here; see subgraphs/documents for a Redis one). */
export interface GreetingStore {
  /** The word a user is greeted with. */
  greetingFor(userId: string): Promise<string>;
}
`,

    "src/store/memory.ts": `import type { GreetingStore } from "./greeting-store";

/** Greets everyone with "Hello" unless the map names another word for them. */
export function createMemoryGreetingStore(greetings: ReadonlyMap<string, string> = new Map()): GreetingStore {
  return {
    async greetingFor(userId) {
      return greetings.get(userId) ?? "Hello";
    },
  };
}
`,

    "src/resolvers/Query.ts": `import { requireUser } from "@fedsession/subgraph-kit";
import type { QueryResolvers } from "../generated/graphql";

export const Query: QueryResolvers = {
  /** @authenticated already keeps anonymous callers out; requireUser checks again, should the directive be dropped. */
  ${name}Hello: async (_parent, _args, { identity, greetings }) => {
    const user = requireUser(identity);
    return \`\${await greetings.greetingFor(user.userId)}, \${user.userId}\`;
  },
};
`,

    "src/resolvers/index.ts": `import type { Resolvers } from "../generated/graphql";
import { Query } from "./Query";

export const resolvers: Resolvers = { Query };
`,

    "src/config.ts": `import { EnvReader, type Env } from "@fedsession/runtime";

export interface ${pascal}Config {
  port: number;
  host: string;
  production: boolean;
}

export function readConfig(env: Env): ${pascal}Config {
  const reader = new EnvReader(env);
  return {
    port: reader.port("${portVariable}", ${port}),
    host: reader.string("LISTEN_HOST", "127.0.0.1"),
    production: reader.isProduction(),
  };
}
`,

    "src/server.ts": `import type { IncomingMessage, ServerResponse } from "node:http";
import path from "node:path";
import { buildSubgraphSchema } from "@apollo/subgraph";
import type { Logger } from "@fedsession/runtime";
import { readSubgraphSchema } from "@fedsession/subgraph-host";
import { createSubgraphServer, type SubgraphServerOptions } from "@fedsession/subgraph-kit";
import type { ${context} } from "./context";
import { resolvers } from "./resolvers";
import type { GreetingStore } from "./store/greeting-store";

/** The name in supergraph.yaml, and so the audience every gateway context for this subgraph must carry. */
export const SUBGRAPH_NAME = "${name}";

const typeDefs = readSubgraphSchema(path.resolve(__dirname, ".."));

export interface ${pascal}ServerOptions {
  greetings: GreetingStore;
  /** The gateway's public keys: this service can verify contexts but never forge one. */
  gatewayJwks: SubgraphServerOptions<${context}>["gatewayJwks"];
  logger: Logger;
  production: boolean;
}

export interface ${pascal}Server {
  handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  stop(): Promise<void>;
}

/** Builds the ${name} subgraph from its dependencies; the caller decides where it listens. */
export async function create${pascal}Server(options: ${pascal}ServerOptions): Promise<${pascal}Server> {
  const { server, handler } = await createSubgraphServer<${context}>({
    name: SUBGRAPH_NAME,
    schema: buildSubgraphSchema([{ typeDefs, resolvers }]),
    gatewayJwks: options.gatewayJwks,
    logger: options.logger,
    production: options.production,
    context: ({ identity }) => ({ identity, greetings: options.greetings }),
  });
  return { handler, stop: () => server.stop() };
}
`,

    "src/main.ts": `// First: tracing (when OTEL_EXPORTER_OTLP_ENDPOINT is set) must wrap http and ioredis before anything loads them.
import "@fedsession/runtime/src/tracing-register";
import { createLogger, publicKeys, type Env, type Logger, type StartedService } from "@fedsession/runtime";
import { runSubgraph, startSubgraph, type SubgraphDefinition } from "@fedsession/subgraph-host";
import { readConfig, type ${pascal}Config } from "./config";
import { create${pascal}Server, SUBGRAPH_NAME } from "./server";
import { createMemoryGreetingStore } from "./store/memory";

export const ${name}Subgraph: SubgraphDefinition<${pascal}Config> = {
  name: SUBGRAPH_NAME,
  readConfig,
  build: async ({ config, keys, logger }) => {
    const server = await create${pascal}Server({
      greetings: createMemoryGreetingStore(),
      gatewayJwks: publicKeys(keys, "gateway"),
      logger,
      production: config.production,
    });
    return { ...server, notes: ["${name} store: in-memory"] };
  },
};

export function start(env: Env = process.env, logger: Logger = createLogger(SUBGRAPH_NAME)): Promise<StartedService> {
  return startSubgraph(${name}Subgraph, env, logger);
}

if (require.main === module) runSubgraph(${name}Subgraph);
`,

    "test/conformance.test.ts": `import { silentLogger } from "@fedsession/runtime";
import { describeSubgraphConformance } from "@fedsession/subgraph-kit/testing";
import { conformanceKeysDir } from "@fedsession/testing";
import { start } from "../src/main";

describeSubgraphConformance({
  name: "${name}",
  start: async (gatewayJwks) => {
    const keys = await conformanceKeysDir(gatewayJwks);
    const service = await start({ KEYS_DIR: keys.dir, ${portVariable}: "0" }, silentLogger);
    return {
      url: service.url,
      close: async () => {
        await service.close();
        await keys.remove();
      },
    };
  },
});
`,
  };
}
