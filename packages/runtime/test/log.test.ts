import { createLogger, runWithRequestContext } from "../src";

function capture() {
  const lines: string[] = [];
  const logger = createLogger("test", (line) => lines.push(line));
  return { logger, parsed: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

describe("createLogger", () => {
  it("censors credential-shaped fields, at the top level and one level down", () => {
    const { logger, parsed } = capture();
    const fields = { cookie: "fedsession=a.b", token: "t", refreshToken: "r", userId: "u1" };
    logger.info("mistake", fields);
    Reflect.apply(logger.warn, logger, ["nested", { headers: { authorization: "Bearer x", accept: "*/*" } }]);
    expect(parsed()).toEqual([
      expect.objectContaining({ event: "mistake", cookie: "[redacted]", token: "[redacted]", userId: "u1" }),
      expect.objectContaining({ event: "nested", headers: { authorization: "[redacted]", accept: "*/*" } }),
    ]);
  });

  it("puts the request context on every line written while serving the request, and the error's stack", () => {
    const { logger, parsed } = capture();
    runWithRequestContext({ requestId: "r-1", operation: "Me", sessionId: "s-1" }, () =>
      logger.error("failed", { path: "me" }, new Error("boom")),
    );
    logger.info("outside");
    const [inside, outside] = parsed();
    expect(inside).toMatchObject({ level: "error", service: "test", requestId: "r-1", operation: "Me", path: "me" });
    expect((inside?.err as { stack: string }).stack).toContain("Error: boom");
    expect(outside).not.toHaveProperty("requestId");
  });

  it("keeps one line's fields off the next lines of the same request", () => {
    const { logger, parsed } = capture();
    runWithRequestContext({ requestId: "r-2" }, () => {
      logger.error("failed", { path: "me" }, new Error("boom"));
      logger.info("request", { status: 200 });
    });
    const [, request] = parsed();
    expect(request).toMatchObject({ requestId: "r-2", status: 200 });
    expect(request).not.toHaveProperty("err");
    expect(request).not.toHaveProperty("path");
  });
});
