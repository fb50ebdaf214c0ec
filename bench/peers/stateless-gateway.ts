/**
 * Benchmark peer: the project's own gateway (createGatewayServer, same plugins, same subgraph data source) with the
 * session lookup replaced by the claims of a stateless JWT. The only difference from scenario C is that lookup,
 * which is the sessions-versus-tokens trade-off: no Redis round trip, and no way to revoke before the token expires.
 */
import { readFile } from "node:fs/promises";
import { EnvReader, createLogger, importSigningKey, listen, loadKeyMaterial, publicKeys } from "@fedsession/runtime";
import type { ResolveResult, SessionCredential } from "@fedsession/session-client";
import { readConfig } from "../../gateway/src/config";
import { createGatewayServer } from "../../gateway/src/server";
import { createStatelessVerifier, type StatelessClaims } from "./stateless-token";

/** The gateway asks for a session by id right after verifying the token; a few distinct tokens are in play. */
const MAX_REMEMBERED_CLAIMS = 10_000;

async function main(): Promise<void> {
  const env = process.env;
  const logger = createLogger("stateless-gateway");
  const config = readConfig(env);
  const keys = await loadKeyMaterial(new EnvReader(env));
  const signingKey = await importSigningKey(keys, "gateway");
  const verify = createStatelessVerifier(publicKeys(keys, "session"));
  // createGatewayServer verifies the bearer token, then resolves its session id; here the "session" is the claims
  // that verification just produced, kept by session id so that resolving costs a map read and no I/O.
  const verified = new Map<string, StatelessClaims>();
  const verifyAccessToken = async (token: string) => {
    const claims = await verify(token);
    if (claims === null) return null;
    if (verified.size >= MAX_REMEMBERED_CLAIMS) verified.clear();
    verified.set(claims.sessionId, claims);
    return { userId: claims.userId, sessionId: claims.sessionId };
  };
  const resolveOne = (credential: SessionCredential): ResolveResult => {
    const claims = "sessionId" in credential ? verified.get(credential.sessionId) : undefined;
    if (claims === undefined) return { session: null };
    return {
      session: {
        id: claims.sessionId,
        userId: claims.userId,
        permissions: claims.permissions,
        expiresAt: new Date(Date.now() + 60_000).toISOString(),
        reusableUntil: 0,
      },
    };
  };
  const resolveSessions = async (credentials: readonly SessionCredential[]) => credentials.map(resolveOne);
  const gateway = await createGatewayServer({
    config,
    supergraphSdl: await readFile(config.supergraphPath, "utf8"),
    signingKey,
    publicJwks: publicKeys(keys, "gateway"),
    sessions: { resolveSessions },
    verifyAccessToken,
    logger,
    plugins: [],
  });
  const running = await listen(gateway.handler, config.port, config.host);
  const stop = () =>
    void running
      .close()
      .then(() => gateway.stop())
      .then(() => process.exit(0));
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

main().catch((error: unknown) => {
  console.error(`stateless gateway failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
