import { randomUUID } from "node:crypto";
import { cookieHeader, postGraphQL, sessionCookieFrom, type GraphQLReply } from "../client";

/** One signed-in client: a cookie (browser) or an access/refresh token pair (native app). */
interface Session {
  user: User;
  cookie: string | null;
  accessToken: string | null;
  refreshToken: string | null;
  createdAt: number;
  /** When the last request that succeeded on it was sent (the server slid it at about that moment, or earlier). */
  lastUsed: number;
  /** When the current access token was minted (TOKEN sessions). */
  tokenIssuedAt: number;
  /** Refresh tokens traded so far: the store ends the session on the first refresh past its rotation limit. */
  rotations: number;
  /** An action is in flight on it (or on its user, for user-wide revocations): nothing else picks it meanwhile. */
  busy: boolean;
}

interface User {
  email: string;
  password: string;
  id: string;
  /** The address this user's requests come from (X-Forwarded-For through the trusted loopback "proxy"). */
  address: string;
  busy: boolean;
  /** Logins in flight: a user-wide revocation waits for none, so it knows exactly which sessions it ends. */
  logins: number;
}

/** What a user sees when a session ended by its own lifetime: expected, not an error. */
export const TIMED_OUT = "signed out: the session's lifetime had passed";
/** What a user sees when a refresh is refused past the session's rotation limit: expected, not an error. */
export const ROTATIONS_SPENT = "signed out: the session's refresh rotations were spent";

/** Answers that end a session by design: what a user sees then is expected, not an error. */
export const EXPECTED_SIGN_OUTS: ReadonlySet<string> = new Set([TIMED_OUT, ROTATIONS_SPENT]);

/**
 * What an outage may show a user: a code that says "retry later", in a 503 or beside partial data. Anything else
 * (INTERNAL_SERVER_ERROR, a 500, no answer) is a failure, outage or not.
 */
export const OUTAGE_ANSWER = /^(?:200|503) (?:SESSION_STORE_UNAVAILABLE|SUBGRAPH_UNAVAILABLE|SERVICE_UNAVAILABLE)$/;

export interface Outcome {
  action: string;
  at: number;
  ms: number;
  /** "ok", or what the user saw instead (an HTTP status and an error code). */
  seen: string;
  /** Set when the answer broke a promise: another identity, a revoked session back, a lost acknowledged write. */
  violation?: string;
}

const PASSWORD = "soak test passphrase";
const ME = "{ me { id documents { id } } currentSession { id data } }";
const SIGN_UP = `mutation ($email: String!, $password: String!) { signUp(email: $email, password: $password) { user { id } } }`;
const LOGIN = `mutation ($email: String!, $password: String!, $transport: SessionTransport!) {
  login(email: $email, password: $password, transport: $transport) { user { id } accessToken refreshToken }
}`;
const REFRESH = `mutation ($token: String!) { refreshSession(refreshToken: $token) { accessToken refreshToken } }`;
const SET_DATA = `mutation ($value: JSON) { setSessionData(key: "soak", value: $value) { data } }`;
const CREATE_DOCUMENT = `mutation ($title: String!) { createDocument(title: $title, body: "soak", public: false) { id } }`;
const CHANGE_PASSWORD = `mutation ($current: String!, $next: String!) { changePassword(currentPassword: $current, newPassword: $next) }`;

const isUnauthenticated = (reply: GraphQLReply | null) =>
  reply?.errors.some((error) => error.extensions?.code === "UNAUTHENTICATED") ?? false;

const describe = (reply: GraphQLReply) =>
  reply.errors.length === 0 ? "ok" : `${reply.status} ${reply.errors[0]?.extensions?.code ?? "no code"}`;

/**
 * A mixed workload for many users: sign-ups, cookie and token logins, queries, refreshes, session data writes,
 * documents, revocations, logouts and password changes. Sessions idle past `idleTtlMs` are forgotten (the store
 * ends them), so every check is against what the server promised.
 */
export class Workload {
  private readonly users: User[] = [];
  private readonly sessions: Session[] = [];
  /** Sessions ended by an acknowledged logout or revocation, kept while they would otherwise still be alive. */
  private readonly ended: { session: Session; endedAt: number }[] = [];
  /** Documents whose creation was acknowledged: every one must still exist at the end (`documentIds`). */
  readonly documentIds: string[] = [];
  readonly outcomes: Outcome[] = [];
  private gatewayTurn = 0;

  constructor(
    private readonly gateways: string[],
    private readonly lifetimes: { idleMs: number; absoluteMs: number; accessTokenMs: number },
    /** The session service's refresh rotation limit for these lifetimes (`maxRotations`). */
    private readonly maxRotations: number,
  ) {}

  /** Sign-ups attempted: one that failed after the account was stored (the session part failed) leaves the account. */
  signUpsAttempted = 0;

  get userCount(): number {
    return this.users.length;
  }

  private url(): string {
    return this.gateways[this.gatewayTurn++ % this.gateways.length] as string;
  }

  private headersOf(session: Session): Record<string, string> {
    const from = { "x-forwarded-for": session.user.address };
    if (session.cookie !== null) return { ...cookieHeader(session.cookie), ...from };
    return { authorization: `Bearer ${session.accessToken as string}`, ...from };
  }

  /**
   * Each user signs up and signs in from an address of their own, as people do: auth's fair bcrypt queue lets one
   * client address hold one password check at a time, so a whole workload from one address would mostly see
   * RATE_LIMITED (the queue doing its job, not what a soak is after).
   */
  private nextAddress(): string {
    const n = this.signUpsAttempted;
    return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
  }

  private async call(
    action: string,
    query: string,
    variables: Record<string, unknown>,
    headers = {},
  ): Promise<{ reply: GraphQLReply | null; outcome: Outcome }> {
    const started = performance.now();
    try {
      const reply = await postGraphQL(this.url(), query, variables, headers);
      return { reply, outcome: { action, at: Date.now(), ms: performance.now() - started, seen: describe(reply) } };
    } catch (error) {
      const seen = `no answer (${(error as Error).message})`;
      return { reply: null, outcome: { action, at: Date.now(), ms: performance.now() - started, seen } };
    }
  }

  private record(outcome: Outcome): void {
    this.outcomes.push(outcome);
  }

  /** A live session nobody else is using, not idle long enough to have been ended by the store. */
  private pickSession(kind?: "cookie" | "token"): Session | null {
    const now = Date.now();
    const { idleMs, absoluteMs, accessTokenMs } = this.lifetimes;
    // Well inside each lifetime: the store slides a session only every idle/10, and this machine may be slow.
    const mayHaveEnded = (session: Session) =>
      now - session.lastUsed > idleMs * 0.6 ||
      now - session.createdAt > absoluteMs * 0.8 ||
      (session.accessToken !== null && now - session.tokenIssuedAt > accessTokenMs * 0.6);
    for (let index = this.sessions.length - 1; index >= 0; index--) {
      const session = this.sessions[index] as Session;
      if (!session.busy && mayHaveEnded(session)) this.sessions.splice(index, 1);
    }
    const free = this.sessions.filter(
      (session) =>
        !session.busy &&
        !session.user.busy &&
        (kind === undefined || (session.cookie !== null) === (kind === "cookie")),
    );
    return free[Math.floor(Math.random() * free.length)] ?? null;
  }

  /**
   * True when the store may rightly have ended the session by the time this answer arrived: the server received
   * the last successful request no earlier than it was sent and slides at least every idle/10, so before
   * lastUsed + 0.9 idle (and before its absolute deadline) an anonymous answer breaks a promise.
   */
  private mayHaveTimedOut(session: Session): boolean {
    const now = Date.now();
    const { idleMs, absoluteMs, accessTokenMs } = this.lifetimes;
    return (
      now - session.lastUsed > idleMs * 0.9 - 1000 ||
      now - session.createdAt > absoluteMs - 1000 ||
      (session.accessToken !== null && now - session.tokenIssuedAt > accessTokenMs - 1000)
    );
  }

  /** An anonymous or UNAUTHENTICATED answer is a broken promise unless the session may have timed out. */
  private judgeSignedOut(session: Session, outcome: Outcome, signedOut: boolean): void {
    if (!signedOut) return;
    this.forget(session, false);
    if (this.mayHaveTimedOut(session)) outcome.seen = TIMED_OUT;
    else {
      const now = Date.now();
      outcome.violation = `a live session (within its lifetimes, never revoked) was treated as signed out (last used ${now - session.lastUsed} ms, created ${now - session.createdAt} ms ago)`;
    }
  }

  private async withSession(kind: "cookie" | "token" | undefined, run: (session: Session) => Promise<void>) {
    const session = this.pickSession(kind);
    if (session === null) return;
    session.busy = true;
    try {
      await run(session);
    } finally {
      session.busy = false;
    }
  }

  private forget(session: Session, ended: boolean): void {
    const index = this.sessions.indexOf(session);
    if (index >= 0) this.sessions.splice(index, 1);
    if (ended) this.ended.push({ session, endedAt: Date.now() });
  }

  async signUp(): Promise<void> {
    const email = `soak-${randomUUID()}@example.com`;
    this.signUpsAttempted++;
    const address = this.nextAddress();
    const sent = Date.now();
    const { reply, outcome } = await this.call(
      "signUp",
      SIGN_UP,
      { email, password: PASSWORD },
      { "x-forwarded-for": address },
    );
    this.record(outcome);
    const id = (reply?.data?.signUp as { user: { id: string } } | undefined)?.user.id;
    const cookie = reply && sessionCookieFrom(reply);
    if (id === undefined || !cookie) return;
    const user = { email, password: PASSWORD, id, address, busy: false, logins: 0 };
    this.users.push(user);
    this.sessions.push({
      user,
      cookie,
      accessToken: null,
      refreshToken: null,
      createdAt: sent,
      lastUsed: sent,
      tokenIssuedAt: sent,
      rotations: 0,
      busy: false,
    });
  }

  async login(transport: "COOKIE" | "TOKEN"): Promise<void> {
    const user = this.users[Math.floor(Math.random() * this.users.length)];
    // One person signs in once at a time: a second password check on the account while one is queued is refused.
    if (user === undefined || user.busy || user.logins > 0) return;
    user.logins++;
    const sent = Date.now();
    const { reply, outcome } = await this.call(
      `login ${transport}`,
      LOGIN,
      { email: user.email, password: user.password, transport },
      { "x-forwarded-for": user.address },
    ).finally(() => user.logins--);
    const payload = reply?.data?.login as
      { user: { id: string }; accessToken: string | null; refreshToken: string | null } | undefined;
    if (payload && payload.user.id !== user.id) outcome.violation ??= `login answered for another user`;
    this.record(outcome);
    const cookie = reply && sessionCookieFrom(reply);
    if (!payload) return;
    this.sessions.push({
      user,
      cookie: transport === "COOKIE" ? cookie : null,
      accessToken: payload.accessToken,
      refreshToken: payload.refreshToken,
      createdAt: sent,
      lastUsed: sent,
      tokenIssuedAt: sent,
      rotations: 0,
      busy: false,
    });
  }

  /** A two-subgraph query: the session's own user, its documents and its session data. */
  async query(kind: "cookie" | "token"): Promise<void> {
    await this.withSession(kind, async (session) => {
      const sent = Date.now();
      const { reply, outcome } = await this.call(`query ${kind}`, ME, {}, this.headersOf(session));
      const me = reply?.data?.me as { id: string } | null | undefined;
      if (me && me.id !== session.user.id) outcome.violation = `answered as user ${me.id} for ${session.user.id}`;
      this.judgeSignedOut(session, outcome, (me === null && reply?.errors.length === 0) || isUnauthenticated(reply));
      if (reply?.errors.length === 0) session.lastUsed = sent;
      this.record(outcome);
    });
  }

  /** A session ended by an acknowledged logout or revocation must stay ended. */
  async queryEnded(): Promise<void> {
    const now = Date.now();
    while (this.ended.length > 0 && now - (this.ended[0] as { endedAt: number }).endedAt > this.lifetimes.idleMs)
      this.ended.shift();
    const entry = this.ended[Math.floor(Math.random() * this.ended.length)];
    if (entry === undefined || entry.session.cookie === null) return;
    const { reply, outcome } = await this.call("query ended", ME, {}, this.headersOf(entry.session));
    if (reply?.data?.me) outcome.violation = "a session ended by an acknowledged revocation answered as its user";
    this.record(outcome);
  }

  /**
   * Trades the refresh token. Past the rotation limit the store must end the session instead: a refresh that
   * still rotates then is a broken bound, and the sign-out it answers is expected.
   */
  async refresh(): Promise<void> {
    await this.withSession("token", async (session) => {
      const sent = Date.now();
      const { reply, outcome } = await this.call(
        "refresh",
        REFRESH,
        { token: session.refreshToken },
        { "x-forwarded-for": session.user.address },
      );
      const pair = reply?.data?.refreshSession as { accessToken: string; refreshToken: string } | undefined;
      const spent = session.rotations >= this.maxRotations;
      if (spent && pair) outcome.violation = `a refresh past the rotation limit (${this.maxRotations}) rotated`;
      if (spent && isUnauthenticated(reply)) {
        outcome.seen = ROTATIONS_SPENT;
        this.forget(session, false);
      } else this.judgeSignedOut(session, outcome, isUnauthenticated(reply));
      this.record(outcome);
      if (pair) {
        session.accessToken = pair.accessToken;
        session.refreshToken = pair.refreshToken;
        session.lastUsed = sent;
        session.tokenIssuedAt = sent;
        session.rotations++;
      } else this.forget(session, false);
    });
  }

  async setData(): Promise<void> {
    await this.withSession("cookie", async (session) => {
      const value = randomUUID();
      const sent = Date.now();
      const { reply, outcome } = await this.call("setSessionData", SET_DATA, { value }, this.headersOf(session));
      const data = (reply?.data?.setSessionData as { data: Record<string, unknown> } | undefined)?.data;
      if (data && data.soak !== value) outcome.violation = "setSessionData answered with other data";
      this.judgeSignedOut(session, outcome, isUnauthenticated(reply));
      if (data) session.lastUsed = sent;
      this.record(outcome);
    });
  }

  async createDocument(): Promise<void> {
    await this.withSession(undefined, async (session) => {
      const sent = Date.now();
      const { reply, outcome } = await this.call(
        "createDocument",
        CREATE_DOCUMENT,
        { title: randomUUID() },
        this.headersOf(session),
      );
      const id = (reply?.data?.createDocument as { id: string } | undefined)?.id;
      if (id !== undefined) {
        this.documentIds.push(id);
        session.lastUsed = sent;
      }
      this.judgeSignedOut(session, outcome, isUnauthenticated(reply));
      this.record(outcome);
    });
  }

  async logout(): Promise<void> {
    await this.withSession("cookie", async (session) => {
      const { reply, outcome } = await this.call("logout", "mutation { logout }", {}, this.headersOf(session));
      this.record(outcome);
      this.forget(session, reply?.data?.logout === true);
    });
  }

  async revokeOthers(): Promise<void> {
    await this.withUser("revokeOtherSessions", "mutation { revokeOtherSessions }", () => ({}));
  }

  /** Ends the user's other sessions; the new password is the one later logins use. */
  async changePassword(): Promise<void> {
    await this.withUser("changePassword", CHANGE_PASSWORD, (user) => ({
      current: user.password,
      next: `${PASSWORD} ${randomUUID()}`,
    }));
  }

  /** A user-wide action from one cookie session, while no other action of that user is in flight. */
  private async withUser(action: string, query: string, variables: (user: User) => Record<string, unknown>) {
    const session = this.pickSession("cookie");
    if (session === null) return;
    const { user } = session;
    if (user.logins > 0 || this.sessions.some((other) => other.user === user && other.busy)) return;
    user.busy = true;
    try {
      const sent = variables(user);
      const sentAt = Date.now();
      const { reply, outcome } = await this.call(action, query, sent, this.headersOf(session));
      this.judgeSignedOut(session, outcome, isUnauthenticated(reply));
      this.record(outcome);
      if (reply === null || reply.errors.length > 0) return;
      session.lastUsed = sentAt;
      // A password change signs the caller in afresh: a new cookie, and the old session ends with the others.
      const renewed = sessionCookieFrom(reply);
      if (renewed !== null) {
        session.cookie = renewed;
        session.createdAt = sentAt;
      }
      if (typeof sent.next === "string") user.password = sent.next;
      for (const other of this.sessions.filter((each) => each.user === user && each !== session))
        this.forget(other, true);
    } finally {
      user.busy = false;
    }
  }
}
