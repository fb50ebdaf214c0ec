import { createHash } from "node:crypto";
import net from "node:net";
import { BrowserClient } from "../support/client";
import { startStack, type Stack } from "../support/stack";

/** Issue 8, item 2: with 30 public documents, 30^5 objects through User.documents. */
const AMPLIFICATION =
  "{ publicDocuments(first: 30) { owner { documents { owner { documents { owner { documents { owner { documents { id } } } } } } } } } }";
const MAX_RESPONSE_BYTES = 40_000;

interface RawAnswer {
  status: number;
  body: { data?: unknown; errors?: { message: string; extensions?: Record<string, unknown> }[] };
}

/** A request with exactly the header lines given (repeated names stay repeated), which fetch cannot send. */
function rawRequest(url: string, headerLines: [string, string][], body: string): Promise<RawAnswer> {
  const target = new URL(url);
  const head = [
    `POST ${target.pathname} HTTP/1.1`,
    `Host: ${target.host}`,
    "content-type: application/json",
    `content-length: ${Buffer.byteLength(body)}`,
    "connection: close",
    ...headerLines.map(([name, value]) => `${name}: ${value}`),
  ];
  return new Promise((resolve, reject) => {
    let text = "";
    const socket = net.connect(Number(target.port), target.hostname, () =>
      socket.end(`${head.join("\r\n")}\r\n\r\n${body}`),
    );
    socket.on("data", (data) => (text += data.toString("utf8")));
    socket.on("error", reject);
    socket.on("close", () => {
      const status = Number(/^HTTP\/1.1 (\d+)/.exec(text)?.[1] ?? 0);
      resolve({ status, body: JSON.parse(text.slice(text.indexOf("\r\n\r\n") + 4)) as RawAnswer["body"] });
    });
  });
}

describe("hostile input against the real stack (issue 8)", () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack(
      "memory",
      {},
      { CORS_ORIGINS: "https://app.example.com", MAX_RESPONSE_BYTES: String(MAX_RESPONSE_BYTES) },
    );
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const post = (query: string, headers: Record<string, string> = {}, extra: Record<string, unknown> = {}) =>
    fetch(stack.gatewayUrl, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify({ query, ...extra }),
    });

  it("refuses the list amplification by its estimated cost before any subgraph call, and keeps serving", async () => {
    const owner = new BrowserClient(stack.gatewayUrl);
    await owner.request(
      `mutation { signUp(email: "amplifier@example.com", password: "a long passphrase") { user { id } } }`,
    );
    for (let i = 0; i < 30; i++) {
      const created = await owner.request(
        `mutation { createDocument(title: "Doc ${i}", body: "b", public: true) { id } }`,
      );
      expect(created.body.errors).toBeUndefined();
    }
    const response = await post(AMPLIFICATION);
    const body = (await response.json()) as RawAnswer["body"];
    expect(response.status).toBe(400);
    expect(body.errors?.[0]?.extensions).toEqual({
      code: "COST_ESTIMATED_TOO_EXPENSIVE",
      cost: { estimated: expect.any(Number), max: 5000 },
    });
    expect(body.errors?.[0]?.extensions?.cost).toEqual({ estimated: 366_660, max: 5000 });
    const after = await post("{ publicDocuments(first: 30) { id owner { documents(first: 5) { id } } } }");
    const page = (await after.json()) as { data: { publicDocuments: unknown[] } };
    expect(after.status).toBe(200);
    expect(page.data.publicDocuments).toHaveLength(30);
  });

  it("replaces a response over MAX_RESPONSE_BYTES by a RESPONSE_TOO_LARGE error, whatever the estimate said", async () => {
    const writer = new BrowserClient(stack.gatewayUrl);
    await writer.request(
      `mutation { signUp(email: "writer@example.com", password: "a long passphrase") { user { id } } }`,
    );
    const created = await writer.request(`mutation ($b: String!) { createDocument(title: "Big", body: $b) { id } }`, {
      b: "x".repeat(30_000),
    });
    expect(created.body.errors).toBeUndefined();
    await writer.request(`mutation ($b: String!) { createDocument(title: "Big 2", body: $b) { id } }`, {
      b: "y".repeat(30_000),
    });
    const answer = await writer.request("{ documents(first: 2) { body } }");
    expect(answer.body.errors?.map((error) => error.extensions?.code)).toEqual(["RESPONSE_TOO_LARGE"]);
    expect(answer.body.data).toBeUndefined();
    expect(answer.headers.get("etag")).toBeNull();
    expect((await writer.request("{ documents(first: 1) { title } }")).body.data).toEqual({
      documents: [{ title: "Big 2" }],
    });
  });

  it("answers a number that does not fit a double with BAD_USER_INPUT, in the document or in variables", async () => {
    const literal = await post('mutation { setSessionData(key: "k", value: 1e400) { id } }');
    expect(literal.status).toBe(400);
    expect(((await literal.json()) as RawAnswer["body"]).errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    const variable = await fetch(stack.gatewayUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"query":"mutation ($v: JSON) { setSessionData(key: \\"k\\", value: $v) { id } }","variables":{"v":1e400}}',
    });
    expect(variable.status).toBe(400);
    expect(((await variable.json()) as RawAnswer["body"]).errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
  });

  it("answers a persisted query whose hash does not match its text with a 400", async () => {
    const query = "{ publicDocuments(first: 1) { id } }";
    const wrong = createHash("sha256").update("something else").digest("hex");
    const response = await post(query, {}, { extensions: { persistedQuery: { version: 1, sha256Hash: wrong } } });
    expect(response.status).toBe(400);
    const body = (await response.json()) as RawAnswer["body"];
    expect(body.errors?.[0]?.message).toMatch(/sha/i);
  });

  it("refuses two Authorization headers with 400, like two session cookies", async () => {
    const answer = await rawRequest(
      stack.gatewayUrl,
      [
        ["authorization", "Bearer a.b.c"],
        ["Authorization", "Bearer d.e.f"],
      ],
      JSON.stringify({ query: "{ me { id } }" }),
    );
    expect(answer.status).toBe(400);
    expect(answer.body.errors?.[0]?.extensions?.code).toBe("BAD_REQUEST");
  });

  it("accepts the Bearer scheme in any case", async () => {
    const login = await post(
      `mutation { signUp(email: "native@example.com", password: "a long passphrase", transport: TOKEN) { accessToken } }`,
    );
    const token = ((await login.json()) as { data: { signUp: { accessToken: string } } }).data.signUp.accessToken;
    for (const scheme of ["Bearer", "bearer", "BEARER"]) {
      const me = await post("{ me { email } }", { authorization: `${scheme} ${token}` });
      expect(((await me.json()) as { data: unknown }).data).toEqual({ me: { email: "native@example.com" } });
    }
  });

  it("keeps CORS's Vary: Origin beside the ETag's Vary: Cookie, Authorization", async () => {
    const response = await post("{ publicDocuments(first: 1) { id } }", { origin: "https://app.example.com" });
    const vary = (response.headers.get("vary") ?? "").split(",").map((name) => name.trim());
    expect(vary).toEqual(expect.arrayContaining(["Origin", "Cookie", "Authorization"]));
  });

  it("answers 400 to the request target //[ and logs no error", async () => {
    const port = Number(new URL(stack.gatewayUrl).port);
    const answer = await new Promise<string>((resolve) => {
      let text = "";
      const socket = net.connect(port, "127.0.0.1", () => socket.write("GET //[ HTTP/1.1\r\nHost: localhost\r\n\r\n"));
      socket.on("data", (data) => (text += data.toString("latin1")));
      socket.on("close", () => resolve(text));
    });
    expect(answer).toMatch(/^HTTP\/1.1 400/);
    expect(stack.logs.filter((line) => line.includes('"level":"error"'))).toEqual([]);
  });

  it("logs nothing at error level when a client aborts mid-body", async () => {
    const port = Number(new URL(stack.gatewayUrl).port);
    await new Promise<void>((resolve) => {
      const socket = net.connect(port, "127.0.0.1", () => {
        socket.write(
          'POST /graphql HTTP/1.1\r\nHost: localhost\r\ncontent-type: application/json\r\ncontent-length: 400\r\n\r\n{"query":',
        );
        setTimeout(() => {
          socket.destroy();
          resolve();
        }, 100);
      });
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(stack.logs.filter((line) => /"level":("error"|50)/.test(line))).toEqual([]);
  });
});
