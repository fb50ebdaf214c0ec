import { GraphQLError, type GraphQLFormattedError } from "graphql";
import {
  ERROR_CODES,
  failuresAs,
  isPublicErrorCode,
  maskUnexpectedErrors,
  PublicError,
  ServiceUnavailable,
  type KitLogger,
} from "../src";

function recordingLogger(): KitLogger & { lines: string[] } {
  const lines: string[] = [];
  const record = (event: string) => void lines.push(event);
  return { lines, info: record, warn: record, error: record };
}

const formattedOf = (error: GraphQLError): GraphQLFormattedError => error.toJSON();

describe("public error codes", () => {
  it("accept upper-case words joined by single underscores, and never an internal code", () => {
    for (const code of ["NOT_FOUND", "INVOICE_ALREADY_PAID", "E2E", ERROR_CODES.FORBIDDEN]) {
      expect([code, isPublicErrorCode(code)]).toEqual([code, true]);
    }
    for (const code of ["not_found", "NOT__FOUND", "_NOT_FOUND", "NOT_FOUND_", "NOT-FOUND", "", "A".repeat(65)]) {
      expect([code, isPublicErrorCode(code)]).toEqual([code, false]);
    }
    expect(isPublicErrorCode("INTERNAL_SERVER_ERROR")).toBe(false);
    expect(isPublicErrorCode("DOWNSTREAM_SERVICE_ERROR")).toBe(false);
  });

  it("PublicError refuses a code that does not match, where it is thrown", () => {
    expect(() => new PublicError("not found", "x")).toThrow(TypeError);
    expect(new PublicError("NOT_FOUND", "No such invoice", { id: "i1" }).extensions).toEqual({
      id: "i1",
      code: "NOT_FOUND",
    });
  });
});

describe("maskUnexpectedErrors", () => {
  it("keeps platform codes and PublicErrors, without a stack trace", () => {
    const logger = recordingLogger();
    const mask = maskUnexpectedErrors(logger);
    const forbidden = new GraphQLError("Missing permission", {
      extensions: { code: "FORBIDDEN", stacktrace: ["at x"] },
    });
    expect(mask(formattedOf(forbidden), forbidden)).toEqual({
      message: "Missing permission",
      extensions: { code: "FORBIDDEN" },
    });
    const notFound = new PublicError("NOT_FOUND", "No such invoice");
    expect(mask(formattedOf(notFound), notFound)).toEqual({
      message: "No such invoice",
      extensions: { code: "NOT_FOUND" },
    });
    expect(logger.lines).toEqual([]);
  });

  it("never relays a subgraph's HTTP answer (its URL and body) with a platform code", () => {
    const mask = maskUnexpectedErrors(recordingLogger(), { relayedFromSubgraphs: true });
    const refused = new GraphQLError("401: Unauthorized", {
      extensions: {
        code: "UNAUTHENTICATED",
        serviceName: "documents",
        response: { url: "http://documents.internal:4003/graphql", status: 401, body: { error: "bad context" } },
      },
    });
    expect(mask(formattedOf(refused), refused)).toEqual({
      message: "401: Unauthorized",
      extensions: { code: "UNAUTHENTICATED", serviceName: "documents" },
    });
  });

  it("masks and logs a plain Error and a GraphQLError whose code nobody raised on purpose", () => {
    const logger = recordingLogger();
    const mask = maskUnexpectedErrors(logger);
    const driver = new GraphQLError("connect ECONNREFUSED 10.0.0.3:6379", { extensions: { code: "ECONNREFUSED" } });
    const plain = new GraphQLError("oops", { originalError: new Error("redis at 10.0.0.3 down") });
    for (const error of [driver, plain]) {
      expect(mask(formattedOf(error), error)).toEqual({
        message: "Internal server error",
        extensions: { code: "INTERNAL_SERVER_ERROR" },
      });
    }
    expect(logger.lines).toEqual(["unexpected_error", "unexpected_error"]);
  });

  it("at the gateway, keeps a public code relayed from a subgraph and masks an internal one", () => {
    const gateway = maskUnexpectedErrors(recordingLogger(), { relayedFromSubgraphs: true });
    const subgraph = maskUnexpectedErrors(recordingLogger());
    const relayed = (code: string) =>
      new GraphQLError("No such invoice", { extensions: { code, serviceName: "billing" } });
    expect(gateway(formattedOf(relayed("NOT_FOUND")), relayed("NOT_FOUND")).extensions).toEqual({
      code: "NOT_FOUND",
      serviceName: "billing",
    });
    expect(subgraph(formattedOf(relayed("NOT_FOUND")), relayed("NOT_FOUND")).extensions).toEqual({
      code: "INTERNAL_SERVER_ERROR",
    });
    expect(gateway(formattedOf(relayed("INTERNAL_SERVER_ERROR")), relayed("INTERNAL_SERVER_ERROR"))).toEqual({
      message: "Internal server error",
      extensions: { code: "INTERNAL_SERVER_ERROR" },
    });
    const notRelayed = new GraphQLError("No such invoice", { extensions: { code: "NOT_FOUND" } });
    expect(gateway(formattedOf(notRelayed), notRelayed).extensions).toEqual({ code: "INTERNAL_SERVER_ERROR" });
  });
});

describe("a store's outage", () => {
  const store = {
    read: async (id: string) => {
      if (id === "missing") throw new RangeError("no such record");
      throw new Error("connect ECONNREFUSED 10.0.0.3:6379");
    },
  };
  const wrapped = failuresAs(
    store,
    (cause) => new ServiceUnavailable("invoices", { cause }),
    (error) => error instanceof RangeError,
  );

  it("failuresAs turns a failed call into the given error, and lets the store's own errors through", async () => {
    await expect(wrapped.read("missing")).rejects.toBeInstanceOf(RangeError);
    const failure: unknown = await wrapped.read("i1").catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ServiceUnavailable);
    expect((failure as ServiceUnavailable).cause).toEqual(new Error("connect ECONNREFUSED 10.0.0.3:6379"));
  });

  it("reaches the client as SERVICE_UNAVAILABLE with no detail, and the log with its cause", async () => {
    const lines: { event: string; fields: unknown }[] = [];
    const record = (event: string, fields?: unknown) => void lines.push({ event, fields });
    const mask = maskUnexpectedErrors({ info: record, warn: record, error: record });
    const failure = (await wrapped.read("i1").catch((error: unknown) => error)) as ServiceUnavailable;
    const located = new GraphQLError(failure.message, { path: ["invoice"], originalError: failure });
    expect(mask(formattedOf(located), located)).toEqual({
      message: "The invoices store is unavailable; try again in a moment",
      path: ["invoice"],
      extensions: { code: "SERVICE_UNAVAILABLE" },
    });
    expect(lines).toEqual([
      {
        event: "store_unavailable",
        fields: expect.objectContaining({ cause: "connect ECONNREFUSED 10.0.0.3:6379", path: "invoice" }),
      },
    ]);
  });
});
