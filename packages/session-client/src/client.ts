import {
  SERVICE_TOKEN_HEADER,
  createServiceTokenSigner,
  type ContextSigningKey,
  type ServiceName,
} from "@fedsession/subgraph-kit";
import { requestIdHeaders } from "@fedsession/runtime";
import {
  CREATE_SESSION_PATH,
  RESOLVE_SESSION_PATH,
  REVOCATION_EPOCH_PATH,
  REVOKE_USER_SESSIONS_PATH,
  UPDATE_USER_PERMISSIONS_PATH,
  type CreateSessionRequest,
  type CreateSessionResponse,
  type ResolveSessionRequest,
  type ResolveSessionResponse,
  type ResolvedSession,
  type RevocationEpochRequest,
  type RevocationEpochResponse,
  type RevokeUserSessionsRequest,
  type RevokeUserSessionsResponse,
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
  const post = async <T>(path: string, body: unknown): Promise<T> => {
    let response: Response;
    try {
      response = await fetch(new URL(path, options.baseUrl), {
        method: "POST",
        headers: {
          "content-type": "application/json",
          [SERVICE_TOKEN_HEADER]: await serviceToken(),
          ...requestIdHeaders(),
        },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(options.timeoutMs),
      });
    } catch (error) {
      throw new SessionServiceUnavailable(`session service unreachable: ${(error as Error).name}`);
    }
    if (response.status === 409) {
      await response.body?.cancel();
      throw new SessionRevokedDuringCreate();
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new SessionServiceUnavailable(`session service answered ${response.status} on ${path}`);
    }
    return (await response.json()) as T;
  };

  return {
    createSession: (request: CreateSessionRequest) => post<CreateSessionResponse>(CREATE_SESSION_PATH, request),
    resolveSession: async (request: ResolveSessionRequest): Promise<ResolvedSession | null> =>
      (await post<ResolveSessionResponse>(RESOLVE_SESSION_PATH, request)).session,
    updateUserPermissions: (request: UpdateUserPermissionsRequest) =>
      post<UpdateUserPermissionsResponse>(UPDATE_USER_PERMISSIONS_PATH, request),
    revokeUserSessions: (request: RevokeUserSessionsRequest) =>
      post<RevokeUserSessionsResponse>(REVOKE_USER_SESSIONS_PATH, request),
    revocationEpoch: async (request: RevocationEpochRequest): Promise<string> =>
      (await post<RevocationEpochResponse>(REVOCATION_EPOCH_PATH, request)).epoch,
  };
}

export type SessionServiceClient = ReturnType<typeof createSessionServiceClient>;
