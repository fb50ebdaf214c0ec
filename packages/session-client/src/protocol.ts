/**
 * The session service's internal HTTP API (beside its /graphql). Every call carries a service token in the
 * x-fedsession-service header; each route accepts exactly one calling service.
 */
export const CREATE_SESSION_PATH = "/internal/sessions"; // caller: auth
export const RESOLVE_SESSION_PATH = "/internal/resolve"; // caller: gateway

export interface CreateSessionRequest {
  userId: string;
  permissions: string[];
  userAgent: string | null;
  ip: string | null;
}

export interface CreateSessionResponse {
  /** "<public id>.<secret>": handed to the gateway in an internal header, never in a body a client sees. */
  token: string;
  session: { id: string; expiresAt: string; maxAgeSeconds: number };
}

export interface ResolveSessionRequest {
  token: string;
}

export interface ResolvedSession {
  id: string;
  userId: string;
  permissions: string[];
  expiresAt: string;
}

export interface ResolveSessionResponse {
  session: ResolvedSession | null;
}

/** Error body of every internal route: a stable code the caller can switch on. */
export interface InternalErrorResponse {
  error: "UNAUTHORIZED_SERVICE" | "BAD_REQUEST" | "SESSION_STORE_UNAVAILABLE";
  message: string;
}
