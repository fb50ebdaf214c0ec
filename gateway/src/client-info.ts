import type { IncomingMessage } from "node:http";
import type { ClientInfo } from "@fedsession/subgraph-kit";

/** IPv4-mapped IPv6 ("::ffff:127.0.0.1") and plain IPv4 name the same peer. */
function normaliseAddress(address: string): string {
  return address.startsWith("::ffff:") ? address.slice(7) : address;
}

/**
 * The client's address: the socket peer, unless that peer is a configured trusted proxy, in which case the
 * right-most X-Forwarded-For entry that is not itself a trusted proxy. Without trusted proxies the header is
 * ignored, because any client can write it.
 */
export function clientInfo(req: IncomingMessage, trustedProxies: ReadonlySet<string>): ClientInfo {
  const peer = req.socket.remoteAddress ? normaliseAddress(req.socket.remoteAddress) : null;
  let ip = peer;
  if (peer !== null && trustedProxies.has(peer)) {
    const forwarded = (req.headers["x-forwarded-for"] ?? "")
      .toString()
      .split(",")
      .map((entry) => normaliseAddress(entry.trim()))
      .filter((entry) => entry !== "");
    for (let i = forwarded.length - 1; i >= 0; i--) {
      const hop = forwarded[i] as string;
      ip = hop;
      if (!trustedProxies.has(hop)) break;
    }
  }
  const userAgent = req.headers["user-agent"];
  return { ip, userAgent: typeof userAgent === "string" && userAgent !== "" ? userAgent : null };
}
