import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from "@apollo/gateway";
import { GraphQLError } from "graphql";
import type { GatewayGraphQLResponse, GatewayGraphQLRequestContext } from "@apollo/server-gateway-interface";
import { REQUEST_ID_HEADER, type Logger } from "@fedsession/runtime";
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
import { SubgraphUnreachable, type Fetcher } from "./subgraph-fetcher";

const STORE_UNAVAILABLE = "SESSION_STORE_UNAVAILABLE";
/** What a proxy or a stopped server in front of a subgraph answers while the subgraph is away. */
const UNAVAILABLE_STATUSES = new Set([502, 503, 504]);
const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null;

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
    fetcher: Fetcher,
    /** Called when this request's own session ends or is replaced, so no cache answers for it again. */
    private readonly sessionEnded: (sessionId: string) => void = () => {},
  ) {
    super({ url, fetcher });
  }

  override async willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<void> {
    const headers = request.http?.headers;
    if (!headers) return;
    headers.set(GATEWAY_CONTEXT_HEADER, await context.signedContextFor(this.subgraphName));
    headers.set(REQUEST_ID_HEADER, context.requestId);
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
      // No Clear-Site-Data: "cookies" would clear every cookie of the registrable domain (other apps' sessions too);
      // the Set-Cookie that expires the session cookie is all a logout needs.
      this.setCookie(context, clearedSessionCookie(this.cookie));
    }
    return response;
  }

  /**
   * A subgraph answering 503 SESSION_STORE_UNAVAILABLE (its store is down) keeps that code and message through the
   * gateway, so the client sees a retryable outage (the storeUnavailablePlugin sets the status and Retry-After)
   * rather than a masked internal error. Any other 502, 503 or 504 means the subgraph is away (unavailable()). Any
   * other failed response keeps @apollo/gateway's handling.
   */
  override async errorFromResponse(response: Parameters<RemoteGraphQLDataSource["errorFromResponse"]>[0]) {
    if (!UNAVAILABLE_STATUSES.has(response.status)) return super.errorFromResponse(response);
    const body: unknown = await this.parseBody(response).catch(() => null);
    const first: unknown = isRecord(body) && Array.isArray(body.errors) ? body.errors[0] : undefined;
    const extensions = isRecord(first) && isRecord(first.extensions) ? first.extensions : {};
    if (response.status !== 503 || extensions.code !== STORE_UNAVAILABLE) {
      return this.unavailable(`answered ${response.status}`);
    }
    const message = isRecord(first) && typeof first.message === "string" ? first.message : "Service unavailable";
    return new GraphQLError(message, { extensions: { code: STORE_UNAVAILABLE } });
  }

  /**
   * Called with every error of a fetch. A subgraph that could not be reached, or whose 2xx answer was no GraphQL
   * response (a proxy's page), is unavailable(); anything else stays as it is, to be masked as internal.
   */
  override didEncounterError(error: Error, _request: unknown, response?: { ok: boolean }): never {
    if (error instanceof SubgraphUnreachable) throw this.unavailable(error.message);
    if (response?.ok === true) throw this.unavailable(`no GraphQL response: ${error.message}`);
    throw error;
  }

  /**
   * A retryable outage instead of an internal error. The session subgraph away is the session store away for the
   * client, as when the gateway's own lookup fails: 503 SESSION_STORE_UNAVAILABLE for refreshSession or logout as
   * for a credentialed query. Any other subgraph: SUBGRAPH_UNAVAILABLE with its name; what else the request asked
   * for is still answered. The reason (it may name an address) goes to the log only.
   */
  private unavailable(reason: string): GraphQLError {
    this.logger.warn("subgraph_unavailable", { subgraph: this.subgraphName, reason });
    if (this.subgraphName === "session") {
      return new GraphQLError("The session store is unavailable; try again shortly", {
        extensions: { code: STORE_UNAVAILABLE },
      });
    }
    return new GraphQLError(`The ${this.subgraphName} service is unavailable; try again in a moment`, {
      extensions: { code: "SUBGRAPH_UNAVAILABLE", serviceName: this.subgraphName },
    });
  }

  private setCookie(context: GatewayContext, cookie: string): void {
    context.responseHeaders.append("set-cookie", cookie);
    context.responseHeaders.append("cache-control", "no-store");
  }
}
