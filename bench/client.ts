/** Just enough of a GraphQL client to seed data and drive the revocation and login loops (not the load runs). */
export interface GraphQLReply {
  status: number;
  data: Record<string, unknown> | null;
  errors: { message: string; extensions?: { code?: string } }[];
  setCookies: string[];
}

export const COOKIE_NAME = "__Host-fedsession";

export async function postGraphQL(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<GraphQLReply> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: Record<string, unknown> | null; errors?: GraphQLReply["errors"] };
  return {
    status: response.status,
    data: body.data ?? null,
    errors: body.errors ?? [],
    setCookies: response.headers.getSetCookie(),
  };
}

/** The value of the session cookie a response set, or null when it set none (or cleared it). */
export function sessionCookieFrom(reply: GraphQLReply): string | null {
  for (const line of reply.setCookies) {
    const [pair = ""] = line.split(";");
    const separator = pair.indexOf("=");
    if (pair.slice(0, separator).trim() === COOKIE_NAME && separator < pair.length - 1)
      return pair.slice(separator + 1);
  }
  return null;
}

export const cookieHeader = (cookie: string) => ({ cookie: `${COOKIE_NAME}=${cookie}` });

/** The first error as a readable line, so a failed seed step says what the server answered. */
export function describeFailure(what: string, reply: GraphQLReply): Error {
  const first = reply.errors[0];
  return new Error(
    `${what} failed (HTTP ${reply.status}): ${first ? `${first.message} [${first.extensions?.code ?? "no code"}]` : "no data"}`,
  );
}
