import type { z } from "zod";
import {
  SERVICE_TOKEN_HEADER,
  createServiceTokenSigner,
  type ContextSigningKey,
  type ServiceName,
} from "@fedsession/subgraph-kit";
import { REQUEST_ID_HEADER, requestIdHeaders } from "@fedsession/runtime";
import { createJsonPoster, PostFailed } from "./http-post";
import {
  CREATE_SESSION_PATH,
  RESOLVE_SESSIONS_PATH,
  REVOCATION_EPOCH_PATH,
  REVOKE_USER_SESSIONS_PATH,
  UPDATE_USER_PERMISSIONS_PATH,
  createSessionResponseSchema,
  resolveSessionsResponseSchema,
  revocationEpochResponseSchema,
  revokeUserSessionsResponseSchema,
  updateUserPermissionsResponseSchema,
  type CreateSessionRequest,
  type CreateSessionResponse,
  type ResolveResult,
  type RevocationEpochRequest,
  type RevokeUserSessionsRequest,
  type RevokeUserSessionsResponse,
  type SessionCredential,
  type UpdateUserPermissionsRequest,
  type UpdateUserPermissionsResponse,
} from "./protocol";

/** The session service could not answer (down, timed out, or its store failed): callers must not guess. */
export class SessionServiceUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SessionServiceUnavailable";
  }
}

/** The session service refused to create a session: the user's sessions were revoked after the caller read the epoch. */
export class SessionRevokedDuringCreate extends Error {
  constructor() {
    super("the user's sessions were revoked while the session was being created");
    this.name = "SessionRevokedDuringCreate";
  }
}

export interface SessionServiceClientOptions {
  baseUrl: string;
  from: ServiceName;
  signingKey: ContextSigningKey;
  /** Upper bound for one call, so a hung session service turns into a prompt 503. */
  timeoutMs: number;
}

export function createSessionServiceClient(options: SessionServiceClientOptions) {
  const serviceToken = createServiceTokenSigner(options.from, "session", options.signingKey);
  const poster = createJsonPoster(options.baseUrl, options.timeoutMs);
  /** `requestHeaders`: the calling request's id (by default the one being served, for the callee's log lines). */
  const post = async <S extends z.ZodType>(
    path: string,
    body: unknown,
    schema: S,
    requestHeaders: Record<string, string> = requestIdHeaders(),
  ): Promise<z.output<S>> => {
    let answer;
    try {
      const headers = { [SERVICE_TOKEN_HEADER]: await serviceToken(), ...requestHeaders };
      answer = await poster.post(path, headers, JSON.stringify(body));
    } catch (error) {
      if (error instanceof PostFailed)
        throw new SessionServiceUnavailable(`session service ${error.reason} on ${path}`);
      throw error;
    }
    if (answer.status === 409) throw new SessionRevokedDuringCreate();
    if (answer.status < 200 || answer.status > 299) {
      throw new SessionServiceUnavailable(`session service answered ${answer.status} on ${path}`);
    }
    const parsed = schema.safeParse(answer.body);
    if (!parsed.success) throw new SessionServiceUnavailable(`session service answered an unexpected shape on ${path}`);
    return parsed.data;
  };

  return {
    createSession: (request: CreateSessionRequest): Promise<CreateSessionResponse> =>
      post(CREATE_SESSION_PATH, request, createSessionResponseSchema),
    /**
     * One answer per credential, in order, from one call; each may be an error of its own. Throws
     * SessionServiceUnavailable when the call as a whole failed. A batch serves several requests, so it carries a
     * request id only when the caller names the one request it serves.
     */
    resolveSessions: async (
      credentials: readonly SessionCredential[],
      requestId?: string,
    ): Promise<ResolveResult[]> => {
      const requestHeaders: Record<string, string> = requestId === undefined ? {} : { [REQUEST_ID_HEADER]: requestId };
      const body = { credentials };
      const { results } = await post(RESOLVE_SESSIONS_PATH, body, resolveSessionsResponseSchema, requestHeaders);
      if (results.length !== credentials.length) {
        throw new SessionServiceUnavailable(`session service answered ${results.length} of ${credentials.length}`);
      }
      return results;
    },
    updateUserPermissions: (request: UpdateUserPermissionsRequest): Promise<UpdateUserPermissionsResponse> =>
      post(UPDATE_USER_PERMISSIONS_PATH, request, updateUserPermissionsResponseSchema),
    revokeUserSessions: (request: RevokeUserSessionsRequest): Promise<RevokeUserSessionsResponse> =>
      post(REVOKE_USER_SESSIONS_PATH, request, revokeUserSessionsResponseSchema),
    revocationEpoch: async (request: RevocationEpochRequest): Promise<string> =>
      (await post(REVOCATION_EPOCH_PATH, request, revocationEpochResponseSchema)).epoch,
    /** Closes the idle keep-alive connections. */
    close: (): void => poster.close(),
  };
}

export type SessionServiceClient = ReturnType<typeof createSessionServiceClient>;
