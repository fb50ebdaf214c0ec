import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { buildSubgraphSchema } from "@apollo/subgraph";
import { GraphQLError, parse } from "graphql";
import { createLogger, listen, publicKeys, type RunningServer, type StartedService } from "@fedsession/runtime";
import { createSubgraphServer, PublicError } from "@fedsession/subgraph-kit";
import { start as startGateway } from "../../gateway/src/main";
import { BrowserClient } from "../support/client";
import { startStack, type Stack } from "../support/stack";
import { BILLING_SUBGRAPH, composeWith } from "../support/supergraph";

const SECRET_DETAIL = "connection to 10.0.0.3:5432 refused";

describe("a subgraph's own error codes, through the gateway", () => {
  let dir: string;
  let stack: Stack;
  let billing: { running: RunningServer; stop(): Promise<void> };
  let gateway: StartedService;
  const logs: string[] = [];

  beforeAll(async () => {
    stack = await startStack("memory");
    const { server, handler } = await createSubgraphServer({
      name: "billing",
      schema: buildSubgraphSchema({
        typeDefs: parse(BILLING_SUBGRAPH.sdl),
        resolvers: {
          Query: {
            invoice: (_source: unknown, { id }: { id: string }) => {
              throw new PublicError("NOT_FOUND", `No invoice has the id "${id}"`, { id });
            },
            brokenInvoice: () => {
              throw new Error(SECRET_DETAIL);
            },
            mislabelledInvoice: () => {
              throw new GraphQLError(SECRET_DETAIL, { extensions: { code: "ECONNREFUSED" } });
            },
          },
        },
      }),
      gatewayJwks: publicKeys(stack.keys, "gateway"),
      logger: createLogger("billing", (line) => logs.push(line)),
      production: false,
      context: ({ identity }) => ({ identity }),
    });
    billing = { running: await listen(handler, 0), stop: () => server.stop() };

    dir = await mkdtemp(path.join(tmpdir(), "fedsession-errors-"));
    const supergraphPath = path.join(dir, "supergraph.graphql");
    await writeFile(supergraphPath, composeWith([BILLING_SUBGRAPH]));
    gateway = await startGateway(
      {
        ...stack.env,
        SUPERGRAPH_PATH: supergraphPath,
        SUBGRAPH_URL_SESSION: stack.sessionUrl,
        SUBGRAPH_URL_AUTH: stack.authUrl,
        SUBGRAPH_URL_DOCUMENTS: stack.documentsUrl,
        SUBGRAPH_URL_BILLING: billing.running.url,
      },
      createLogger("gateway", (line) => logs.push(line)),
    );
  });

  afterAll(async () => {
    await gateway?.close();
    await billing?.running.close();
    await billing?.stop();
    await stack?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("passes a PublicError's code, message and extensions to the client", async () => {
    const answer = await new BrowserClient(gateway.url).request(`{ invoice(id: "inv-404") { id } }`);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      data: { invoice: null },
      errors: [
        {
          message: 'No invoice has the id "inv-404"',
          path: ["invoice"],
          extensions: { code: "NOT_FOUND", id: "inv-404", serviceName: "billing" },
        },
      ],
    });
  });

  it("masks anything the subgraph did not raise on purpose, code or not, and logs the detail instead", async () => {
    const client = new BrowserClient(gateway.url);
    for (const field of ["brokenInvoice", "mislabelledInvoice"]) {
      const answer = await client.request(`{ ${field} { id } }`);
      expect(answer.body.errors).toEqual([
        {
          message: "Internal server error",
          path: [field],
          extensions: { code: "INTERNAL_SERVER_ERROR", requestId: expect.any(String) },
        },
      ]);
      expect(JSON.stringify(answer.body)).not.toContain("10.0.0.3");
    }
    const billingErrors = logs.filter((line) => line.includes('"service":"billing"') && line.includes(SECRET_DETAIL));
    expect(billingErrors).toHaveLength(2);
  });
});
