import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from "@apollo/gateway";
import type { GatewayGraphQLResponse, GatewayGraphQLRequestContext } from "@apollo/server-gateway-interface";
import type { Logger } from "@fedsession/runtime";
import { parseSessionToken } from "@fedsession/session-client";
import {
  CLEAR_SESSION_HEADER,
  GATEWAY_CONTEXT_HEADER,
  SESSION_ID_HEADER,
  SET_SESSION_HEADER,
  USER_ID_HEADER,
  USER_PERMISSIONS_HEADER,
} from "@fedsession/subgraph-kit";
import type { GatewayContext } from "./context";
import type { CookieConfig } from "./config";
import { clearedSessionCookie, sessionCookie } from "./cookies";

/** Only these subgraphs may start or end a browser session. */
const SESSION_MANAGERS = new Set(["auth", "session"]);
const SET_SESSION_VALUE = /^(\S+); max-age=(\d+)$/;

/** Sends the verified identity, signed for this subgraph, on every fetch, and turns session headers into cookies. */
export class SubgraphDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  constructor(
    private readonly subgraphName: string,
    url: string,
    private readonly cookie: CookieConfig,
    private readonly logger: Logger,
    /** Called when this request's own session ends or is replaced, so no cache answers for it again. */
    private readonly sessionEnded: (sessionId: string) => void = () => {},
  ) {
    super({ url });
  }

  override async willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<void> {
    const headers = request.http?.headers;
    if (!headers) return;
    headers.set(GATEWAY_CONTEXT_HEADER, await context.signedContextFor(this.subgraphName));
    const identity = context.identity;
    if (identity?.authenticated) {
      headers.set(USER_ID_HEADER, identity.userId);
      headers.set(USER_PERMISSIONS_HEADER, identity.permissions.join(","));
      headers.set(SESSION_ID_HEADER, identity.sessionId);
    }
  }

  override didReceiveResponse({
    response,
    context,
  }: Required<
    Pick<GatewayGraphQLRequestContext<GatewayContext>, "request" | "response" | "context">
  >): GatewayGraphQLResponse {
    const setSession = response.http?.headers.get(SET_SESSION_HEADER);
    const clearSession = response.http?.headers.get(CLEAR_SESSION_HEADER);
    if ((setSession || clearSession) && !SESSION_MANAGERS.has(this.subgraphName)) {
      this.logger.warn("session_header_refused", { subgraph: this.subgraphName });
      return response;
    }
    if ((setSession || clearSession) && context.identity.authenticated) this.sessionEnded(context.identity.sessionId);
    if (setSession) {
      const match = SET_SESSION_VALUE.exec(setSession);
      if (match && parseSessionToken(match[1] as string)) {
        this.setCookie(context, sessionCookie(this.cookie, match[1] as string, Number(match[2])));
      } else {
        this.logger.error("session_header_malformed", { subgraph: this.subgraphName });
      }
    } else if (clearSession) {
      this.setCookie(context, clearedSessionCookie(this.cookie));
      // The session ended on purpose (logout or revoking the current session): ask the browser to drop every cookie.
      context.responseHeaders.append("clear-site-data", '"cookies"');
    }
    return response;
  }

  private setCookie(context: GatewayContext, cookie: string): void {
    context.responseHeaders.append("set-cookie", cookie);
    context.responseHeaders.append("cache-control", "no-store");
  }
}
