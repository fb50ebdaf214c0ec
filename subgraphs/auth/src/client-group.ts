import { isIPv4, isIPv6 } from "node:net";

/** The eight 16-bit groups of an IPv6 address, with `::` and a trailing dotted IPv4 part expanded. */
function ipv6Groups(address: string): number[] {
  const [head = "", tail] = address.split("::");
  const parse = (part: string): number[] =>
    part === ""
      ? []
      : part.split(":").flatMap((group) => {
          if (!group.includes(".")) return [Number.parseInt(group, 16)];
          const [a = 0, b = 0, c = 0, d = 0] = group.split(".").map(Number);
          return [(a << 8) | b, (c << 8) | d];
        });
  const start = parse(head);
  const end = tail === undefined ? [] : parse(tail);
  return [...start, ...Array<number>(8 - start.length - end.length).fill(0), ...end];
}

const hex = (group: number) => group.toString(16);

/**
 * The unit a client is counted and queued by: an IPv4 address as it is, an IPv6 address by its /64 (the smallest
 * network one subscriber is given, so rotating through the other 2^64 addresses of it buys no fresh budget), and an
 * IPv4-mapped IPv6 address (`::ffff:192.0.2.1`) as the IPv4 address it is. Anything else, which the gateway should
 * never sign, is kept whole.
 */
export function clientGroup(ip: string): string {
  const address = ip.replace(/%.*$/, "");
  if (isIPv4(address)) return address;
  if (!isIPv6(address)) return ip;
  const groups = ipv6Groups(address.toLowerCase());
  const mapped = groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff;
  if (mapped) {
    const [high = 0, low = 0] = groups.slice(6);
    return [high >> 8, high & 0xff, low >> 8, low & 0xff].join(".");
  }
  return `${groups.slice(0, 4).map(hex).join(":")}::/64`;
}
