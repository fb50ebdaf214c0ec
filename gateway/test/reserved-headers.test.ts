import { IncomingMessage } from "node:http";
import { Socket } from "node:net";
import { stripReservedHeaders } from "../src/server";

/** What Node hands the handler: req.headers parsed from (at most the first part of) rawHeaders. */
function request(rawHeaders: string[], parsedPairs = rawHeaders.length / 2): IncomingMessage {
  const headers: Record<string, string> = {};
  for (let i = 0; i < parsedPairs * 2; i += 2)
    headers[(rawHeaders[i] as string).toLowerCase()] ??= rawHeaders[i + 1] as string;
  const req = new IncomingMessage(new Socket());
  req.headers = headers;
  req.rawHeaders = rawHeaders;
  return req;
}

describe("stripReservedHeaders", () => {
  it("removes identity headers that sit past the lines Node parsed into req.headers", () => {
    const filler = Array.from({ length: 1100 }, (_, i) => [`x-filler-${i}`, "1"]).flat();
    const req = request([...filler, "X-User-Id", "u-attacker", "x-gateway-context", "forged"], 1000);
    stripReservedHeaders(req);
    expect(req.rawHeaders).toEqual(filler);
    expect(req.headers["x-user-id"]).toBeUndefined();
  });

  it("removes them from req.headers too, whatever their case, and counts Authorization lines", () => {
    const req = request(["authorization", "Bearer a.b.c", "X-USER-PERMISSIONS", "users:admin", "Authorization", "x"]);
    expect(stripReservedHeaders(req)).toEqual({ authorizationHeaders: 2 });
    expect(req.headers["x-user-permissions"]).toBeUndefined();
    expect(req.rawHeaders).toEqual(["authorization", "Bearer a.b.c", "Authorization", "x"]);
  });

  it("leaves a request without reserved headers untouched", () => {
    const rawHeaders = ["host", "localhost", "cookie", "a=b"];
    const req = request(rawHeaders);
    expect(stripReservedHeaders(req)).toEqual({ authorizationHeaders: 0 });
    expect(req.rawHeaders).toBe(rawHeaders);
    expect(req.rawHeaders).toEqual(["host", "localhost", "cookie", "a=b"]);
  });
});
