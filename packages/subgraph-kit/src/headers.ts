/** The headers the gateway sends to every subgraph fetch. The plain ones are conveniences; the JWS is the proof. */
export const USER_ID_HEADER = "x-user-id";
export const USER_PERMISSIONS_HEADER = "x-user-permissions";
export const SESSION_ID_HEADER = "x-session-id";
export const GATEWAY_CONTEXT_HEADER = "x-gateway-context";

/** Internal headers between services; the gateway never forwards a client's copy and never returns one. */
export const SERVICE_TOKEN_HEADER = "x-fedsession-service";
/** auth/session subgraph → gateway: a new session token for Set-Cookie, as "<token>; max-age=<seconds>". */
export const SET_SESSION_HEADER = "x-fedsession-set-session";
/** session subgraph → gateway: clear the session cookie. */
export const CLEAR_SESSION_HEADER = "x-fedsession-clear-session";

export const IDENTITY_HEADERS = [
  USER_ID_HEADER,
  USER_PERMISSIONS_HEADER,
  SESSION_ID_HEADER,
  GATEWAY_CONTEXT_HEADER,
] as const;

/** Any header a client could use to claim an identity or impersonate a service; the gateway deletes all of them. */
export function isReservedHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return (
    lower.startsWith("x-user-") ||
    lower.startsWith("x-session-") ||
    lower.startsWith("x-gateway-") ||
    lower.startsWith("x-fedsession-")
  );
}
