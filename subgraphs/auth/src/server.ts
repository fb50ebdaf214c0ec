import path from "node:path";
import type { IncomingMessage, ServerResponse } from "node:http";
import { buildSubgraphSchema } from "@apollo/subgraph";
import type { JSONWebKeySet } from "jose";
import type { Logger } from "@fedsession/runtime";
import { readSubgraphSchema } from "@fedsession/subgraph-host";
import { createSubgraphServer } from "@fedsession/subgraph-kit";
import DataLoader from "dataloader";
import type { Accounts } from "./accounts";
import { createAudit } from "./audit";
import type { AuthContext } from "./context";
import { resolvers } from "./resolvers";
import type { SessionService } from "./sessions";
import type { UserStore } from "./store/user-store";

/** The name in supergraph.yaml, and the audience every gateway context for this subgraph carries. */
export const SUBGRAPH_NAME = "auth";

export const typeDefs = readSubgraphSchema(path.resolve(__dirname, ".."));

export interface AuthServerDependencies {
  users: UserStore;
  /** Built with the same user store, the password hasher and the login guard (see main.ts). */
  accounts: Accounts;
  sessions: SessionService;
  /** The gateway's public keys, to verify the signed context on every request. */
  gatewayJwks: JSONWebKeySet;
  /** Also receives the audit trail (`audit.*` events). */
  logger: Logger;
  production: boolean;
  clock: () => Date;
}

export interface AuthServer {
  handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  stop(): Promise<void>;
}

/** Builds the auth subgraph from its dependencies; does not listen. */
export async function createAuthServer(dependencies: AuthServerDependencies): Promise<AuthServer> {
  const { users, accounts, sessions, logger } = dependencies;
  const audit = createAudit(logger);
  const { server, handler } = await createSubgraphServer<AuthContext>({
    name: SUBGRAPH_NAME,
    schema: buildSubgraphSchema([{ typeDefs, resolvers }]),
    gatewayJwks: dependencies.gatewayJwks,
    logger,
    production: dependencies.production,
    currentDate: dependencies.clock,
    context: ({ identity, client, responseHeaders }) => ({
      identity,
      client,
      responseHeaders,
      accounts,
      sessions,
      users: new DataLoader((ids: readonly string[]) => users.findByIds(ids)),
      provenUserIds: new Set<string>(),
      logger,
      audit,
    }),
  });
  return { handler, stop: () => server.stop() };
}
