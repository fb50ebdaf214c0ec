import net from "node:net";
import {
  generateKeyMaterial,
  importSigningKey,
  listen,
  publicKeys,
  silentLogger,
  type RunningServer,
} from "@fedsession/runtime";
import {
  ANONYMOUS,
  GATEWAY_CONTEXT_HEADER,
  SESSION_ID_HEADER,
  USER_ID_HEADER,
  USER_PERMISSIONS_HEADER,
  signContext,
  type ContextSigningKey,
  type Identity,
} from "@fedsession/subgraph-kit";
import { TestClock } from "@fedsession/testing";
import { createDocumentsServer, type DocumentsServer } from "../src/server";
import type { DocumentStore } from "../src/store/document-store";
import { createMemoryDocumentStore } from "../src/store/memory";

const alice: Identity = {
  authenticated: true,
  userId: "u-alice",
  permissions: ["documents:read", "documents:write"],
  sessionId: "s-alice",
};
const bob: Identity = {
  authenticated: true,
  userId: "u-bob",
  permissions: ["documents:read", "documents:write"],
  sessionId: "s-bob",
};
const reader: Identity = {
  authenticated: true,
  userId: "u-reader",
  permissions: ["documents:read"],
  sessionId: "s-reader",
};

interface GraphQLErrorBody {
  message: string;
  extensions?: { code?: string };
}

interface Reply<TData> {
  status: number;
  data: TData | null | undefined;
  errors: GraphQLErrorBody[] | undefined;
  codes: (string | undefined)[];
}

interface DocumentView {
  id: string;
  title: string;
  public: boolean;
}

/** The real memory adapter, counting how often the batch methods run so batching is observable. */
function countingStore(inner: DocumentStore) {
  const calls = { listByOwner: 0, findByIds: 0 };
  const store: DocumentStore = {
    ...inner,
    listByOwner: (page) => {
      calls.listByOwner += 1;
      return inner.listByOwner(page);
    },
    findByIds: (ids) => {
      calls.findByIds += 1;
      return inner.findByIds(ids);
    },
  };
  return { store, calls };
}

function identityHeaders(identity: Identity): Record<string, string> {
  if (!identity.authenticated) return {};
  return {
    [USER_ID_HEADER]: identity.userId,
    [USER_PERMISSIONS_HEADER]: identity.permissions.join(","),
    [SESSION_ID_HEADER]: identity.sessionId,
  };
}

const CREATE = `mutation ($title: String!, $body: String!, $public: Boolean) {
  createDocument(title: $title, body: $body, public: $public) { id title public createdAt owner { id } }
}`;
const ENTITIES = `query ($representations: [_Any!]!) {
  _entities(representations: $representations) {
    ... on User { id documents { id title public } }
    ... on Document { id title }
  }
}`;

const MAX_DOCUMENTS_PER_USER = 5;

describe("documents subgraph over HTTP", () => {
  const clock = new TestClock();
  let gatewayKey: ContextSigningKey;
  let gatewayJwks: ReturnType<typeof publicKeys>;
  let calls: { listByOwner: number; findByIds: number };
  let documents: DocumentsServer;
  let running: RunningServer;

  beforeAll(async () => {
    const material = await generateKeyMaterial(true);
    gatewayKey = await importSigningKey(material, "gateway");
    gatewayJwks = publicKeys(material, "gateway");
  });

  beforeEach(async () => {
    const counted = countingStore(createMemoryDocumentStore());
    calls = counted.calls;
    documents = await createDocumentsServer({
      store: counted.store,
      gatewayJwks,
      logger: silentLogger,
      production: false,
      clock: clock.now,
      maxDocumentsPerUser: MAX_DOCUMENTS_PER_USER,
    });
    running = await listen(documents.handler, 0);
  });

  afterEach(async () => {
    await running.close();
    await documents.stop();
  });

  async function send<TData>(
    headers: Record<string, string>,
    query: string,
    variables: Record<string, unknown> = {},
  ): Promise<Reply<TData>> {
    const response = await fetch(`${running.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as { data?: TData | null; errors?: GraphQLErrorBody[] };
    return {
      status: response.status,
      data: body.data,
      errors: body.errors,
      codes: (body.errors ?? []).map((error) => error.extensions?.code),
    };
  }

  async function as<TData>(
    identity: Identity,
    query: string,
    variables: Record<string, unknown> = {},
    audience = "documents",
  ) {
    const token = await signContext(identity, audience, gatewayKey, clock.now());
    return send<TData>({ [GATEWAY_CONTEXT_HEADER]: token, ...identityHeaders(identity) }, query, variables);
  }

  async function create(identity: Identity, title: string, isPublic: boolean): Promise<string> {
    const reply = await as<{ createDocument: { id: string } }>(identity, CREATE, {
      title,
      body: `${title} body`,
      public: isPublic,
    });
    if (!reply.data) throw new Error(`createDocument failed: ${JSON.stringify(reply.errors)}`);
    clock.advance(1000);
    return reply.data.createDocument.id;
  }

  it("refuses createDocument with FORBIDDEN once the caller has MAX_DOCUMENTS_PER_USER documents", async () => {
    for (let i = 0; i < MAX_DOCUMENTS_PER_USER; i++) await create(alice, `Doc ${i}`, false);
    const refused = await as(alice, CREATE, { title: "One more", body: "" });
    expect(refused.codes).toEqual(["FORBIDDEN"]);
    expect(refused.errors?.[0]?.message).toMatch(/5 documents/);
    await create(bob, "Bob's", false);
  });

  it("pages the caller's documents with first and after, refusing a first over 100 or an unknown after", async () => {
    const made = [];
    for (let i = 0; i < 3; i++) made.push(await create(alice, `Doc ${i}`, i !== 1));
    const page = (variables: Record<string, unknown>) =>
      as<{ documents: DocumentView[] }>(
        alice,
        "query ($first: Int, $after: ID) { documents(first: $first, after: $after) { id } }",
        variables,
      );
    expect((await page({ first: 2 })).data?.documents.map((doc) => doc.id)).toEqual([made[2], made[1]]);
    expect((await page({ first: 2, after: made[1] })).data?.documents.map((doc) => doc.id)).toEqual([made[0]]);
    expect((await page({ first: 101 })).codes).toEqual(["BAD_USER_INPUT"]);
    expect((await page({ first: 0 })).codes).toEqual(["BAD_USER_INPUT"]);
    expect((await page({ first: 2, after: "doc-unknown" })).codes).toEqual(["BAD_USER_INPUT"]);
    const others = await as<{ _entities: { documents: DocumentView[] }[] }>(
      bob,
      "query ($r: [_Any!]!) { _entities(representations: $r) { ... on User { documents(first: 1) { id } } } }",
      { r: [{ __typename: "User", id: "u-alice" }] },
    );
    expect(others.data?._entities[0]?.documents.map((doc) => doc.id)).toEqual([made[2]]);
  });

  it("refuses an unsigned request with 401 from its head alone, without waiting for its body", async () => {
    const port = Number(new URL(running.url).port);
    const answer = await new Promise<string>((resolve) => {
      let text = "";
      const socket = net.connect(port, "127.0.0.1", () =>
        socket.write(
          "POST /graphql HTTP/1.1\r\nHost: localhost\r\ncontent-type: application/json\r\ncontent-length: 1000000\r\n\r\n",
        ),
      );
      socket.on("data", (data) => (text += data.toString("latin1")));
      socket.on("error", () => {});
      socket.on("close", () => resolve(text));
    });
    expect(answer).toMatch(/^HTTP\/1.1 401/);
    expect(answer).toContain('"code":"UNAUTHENTICATED"');
    expect(answer).toContain('"reason":"missing-context"');
  });

  it("creates a document owned by the caller, private unless asked otherwise", async () => {
    const reply = await as<{ createDocument: DocumentView & { createdAt: string; owner: { id: string } } }>(
      alice,
      CREATE,
      { title: "Notes", body: "…" },
    );
    expect(reply.errors).toBeUndefined();
    expect(reply.data?.createDocument).toMatchObject({
      title: "Notes",
      public: false,
      owner: { id: "u-alice" },
      createdAt: clock.now().toISOString(),
    });
  });

  it("shows anonymous callers public documents only, newest first", async () => {
    const older = await create(alice, "Public one", true);
    await create(alice, "Private", false);
    const newer = await create(bob, "Public two", true);
    const reply = await as<{ publicDocuments: DocumentView[] }>(ANONYMOUS, "{ publicDocuments { id title public } }");
    expect(reply.data?.publicDocuments.map((doc) => doc.id)).toEqual([newer, older]);
    const own = await as<{ documents: DocumentView[] }>(ANONYMOUS, "{ documents { id } }");
    expect(own.codes).toEqual(["UNAUTHENTICATED"]);
  });

  it("refuses publicDocuments(first) outside 1 to 100 with BAD_USER_INPUT", async () => {
    for (const first of [0, 101, -1]) {
      const reply = await as(ANONYMOUS, "query ($first: Int) { publicDocuments(first: $first) { id } }", { first });
      expect(reply.codes).toEqual(["BAD_USER_INPUT"]);
    }
    const limited = await as<{ publicDocuments: DocumentView[] }>(ANONYMOUS, "{ publicDocuments(first: 100) { id } }");
    expect(limited.errors).toBeUndefined();
  });

  it("lists the caller's own documents, private ones included, and needs documents:read", async () => {
    const first = await create(alice, "First", false);
    const second = await create(alice, "Second", true);
    await create(bob, "Bob's", true);
    const reply = await as<{ documents: DocumentView[] }>(alice, "{ documents { id } }");
    expect(reply.data?.documents.map((doc) => doc.id)).toEqual([second, first]);
    const writerOnly: Identity = {
      authenticated: true,
      userId: "u-alice",
      permissions: ["documents:write"],
      sessionId: "s-alice-2",
    };
    expect((await as(writerOnly, "{ documents { id } }")).codes).toEqual(["FORBIDDEN"]);
  });

  it("requires documents:write to create: FORBIDDEN without it, UNAUTHENTICATED when anonymous", async () => {
    const variables = { title: "Nope", body: "" };
    expect((await as(reader, CREATE, variables)).codes).toEqual(["FORBIDDEN"]);
    expect((await as(ANONYMOUS, CREATE, variables)).codes).toEqual(["UNAUTHENTICATED"]);
    const publicList = await as<{ publicDocuments: DocumentView[] }>(ANONYMOUS, "{ publicDocuments { id } }");
    expect(publicList.data?.publicDocuments).toEqual([]);
  });

  it("refuses a blank or over-long title and an over-long body with BAD_USER_INPUT", async () => {
    for (const variables of [
      { title: "", body: "" },
      { title: "   ", body: "" },
      { title: "x".repeat(201), body: "" },
      { title: "ok", body: "x".repeat(100_001) },
    ]) {
      expect((await as(alice, CREATE, variables)).codes).toEqual(["BAD_USER_INPUT"]);
    }
    const longest = await as(alice, CREATE, { title: "🙂".repeat(200), body: "x".repeat(100_000) });
    expect(longest.errors).toBeUndefined();
  });

  it("keeps a private document invisible to another user and to anonymous callers, as if it did not exist", async () => {
    const id = await create(alice, "Diary", false);
    const query = "query ($id: ID!) { document(id: $id) { id title } }";
    expect((await as<{ document: DocumentView }>(alice, query, { id })).data?.document).toEqual({ id, title: "Diary" });
    for (const caller of [bob, ANONYMOUS]) {
      const reply = await as<{ document: DocumentView | null }>(caller, query, { id });
      expect(reply).toMatchObject({ data: { document: null }, errors: undefined });
      const entity = await as<{ _entities: (DocumentView | null)[] }>(caller, ENTITIES, {
        representations: [{ __typename: "Document", id }],
      });
      expect(entity.data?._entities).toEqual([null]);
    }
    const missing = await as<{ document: DocumentView | null }>(bob, query, { id: "doc-missing" });
    expect(missing).toMatchObject({ data: { document: null }, errors: undefined });
  });

  it("shows a public document to anyone, through document(id) and _entities alike", async () => {
    const id = await create(alice, "Announcement", true);
    const reply = await as<{ document: DocumentView }>(ANONYMOUS, "query ($id: ID!) { document(id: $id) { id } }", {
      id,
    });
    expect(reply.data?.document).toEqual({ id });
    const entity = await as<{ _entities: DocumentView[] }>(bob, ENTITIES, {
      representations: [{ __typename: "Document", id }],
    });
    expect(entity.data?._entities).toEqual([{ id, title: "Announcement" }]);
  });

  it("answers FORBIDDEN to deleting someone else's document and keeps it", async () => {
    const id = await create(alice, "Mine", false);
    const reply = await as(bob, "mutation ($id: ID!) { deleteDocument(id: $id) }", { id });
    expect(reply.codes).toEqual(["FORBIDDEN"]);
    const still = await as<{ document: DocumentView | null }>(alice, "query ($id: ID!) { document(id: $id) { id } }", {
      id,
    });
    expect(still.data?.document).toEqual({ id });
  });

  it("deletes the caller's own document, and answers false for one that does not exist", async () => {
    const id = await create(alice, "Draft", true);
    const deleted = await as<{ deleteDocument: boolean }>(alice, "mutation ($id: ID!) { deleteDocument(id: $id) }", {
      id,
    });
    expect(deleted.data?.deleteDocument).toBe(true);
    const again = await as<{ deleteDocument: boolean }>(alice, "mutation ($id: ID!) { deleteDocument(id: $id) }", {
      id,
    });
    expect(again.data?.deleteDocument).toBe(false);
    expect((await as(reader, "mutation ($id: ID!) { deleteDocument(id: $id) }", { id })).codes).toEqual(["FORBIDDEN"]);
    const list = await as<{ publicDocuments: DocumentView[] }>(ANONYMOUS, "{ publicDocuments { id } }");
    expect(list.data?.publicDocuments).toEqual([]);
  });

  it("resolves User.documents through _entities: all of them for the user themself, only public ones for anyone else", async () => {
    const open = await create(alice, "Open", true);
    const closed = await create(alice, "Closed", false);
    const representations = [{ __typename: "User", id: "u-alice" }];
    const forAlice = await as<{ _entities: { id: string; documents: DocumentView[] }[] }>(alice, ENTITIES, {
      representations,
    });
    expect(forAlice.data?._entities[0]?.documents.map((doc) => doc.id)).toEqual([closed, open]);
    for (const caller of [bob, ANONYMOUS]) {
      const reply = await as<{ _entities: { id: string; documents: DocumentView[] }[] }>(caller, ENTITIES, {
        representations,
      });
      expect(reply.data?._entities).toEqual([
        { id: "u-alice", documents: [{ id: open, title: "Open", public: true }] },
      ]);
    }
  });

  it("reads each owner's page once in one _entities request, however often the owner appears", async () => {
    await create(alice, "A", true);
    await create(bob, "B", true);
    calls.listByOwner = 0;
    const representations = ["u-alice", "u-bob", "u-carol", "u-alice"].map((id) => ({ __typename: "User", id }));
    const reply = await as<{ _entities: { id: string; documents: DocumentView[] }[] }>(reader, ENTITIES, {
      representations,
    });
    expect(reply.data?._entities.map((user) => [user.id, user.documents.map((doc) => doc.title)])).toEqual([
      ["u-alice", ["A"]],
      ["u-bob", ["B"]],
      ["u-carol", []],
      ["u-alice", ["A"]],
    ]);
    expect(calls.listByOwner).toBe(3);
  });

  it("batches Document references in one _entities request into one findByIds call", async () => {
    const ids = [await create(alice, "One", true), await create(bob, "Two", true)];
    calls.findByIds = 0;
    const reply = await as<{ _entities: DocumentView[] }>(ANONYMOUS, ENTITIES, {
      representations: ids.map((id) => ({ __typename: "Document", id })),
    });
    expect(reply.data?._entities.map((doc) => doc.title)).toEqual(["One", "Two"]);
    expect(calls.findByIds).toBe(1);
  });

  it("answers 401 to bare identity headers without a signed context", async () => {
    const reply = await send({ ...identityHeaders(alice) }, "{ documents { id } }");
    expect(reply.status).toBe(401);
    expect(reply.codes).toEqual(["UNAUTHENTICATED"]);
    expect(reply.data).toBeUndefined();
  });

  it("answers 401 to a context the gateway signed for the auth subgraph", async () => {
    const reply = await as(alice, "{ documents { id } }", {}, "auth");
    expect(reply.status).toBe(401);
    expect(reply.codes).toEqual(["UNAUTHENTICATED"]);
  });
});
