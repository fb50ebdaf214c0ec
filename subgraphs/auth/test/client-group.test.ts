import { clientGroup } from "../src/client-group";

describe("client group", () => {
  it("keeps an IPv4 address whole", () => {
    expect(clientGroup("203.0.113.7")).toBe("203.0.113.7");
    expect(clientGroup("203.0.113.8")).not.toBe(clientGroup("203.0.113.7"));
  });

  it("groups IPv6 addresses by their /64, however they are written", () => {
    const group = clientGroup("2001:db8:1:2::1");
    expect(group).toBe("2001:db8:1:2::/64");
    for (const sameNetwork of [
      "2001:db8:1:2:ffff:ffff:ffff:ffff",
      "2001:0DB8:0001:0002:0000:0000:0000:abcd",
      "2001:db8:1:2:a:b:c:d",
      "2001:db8:1:2::1%eth0",
      "2001:db8:1:2::1.2.3.4",
    ]) {
      expect(clientGroup(sameNetwork)).toBe(group);
    }
    expect(clientGroup("2001:db8:1:3::1")).toBe("2001:db8:1:3::/64");
    expect(clientGroup("::1")).toBe("0:0:0:0::/64");
    expect(clientGroup("fe80::1")).toBe("fe80:0:0:0::/64");
  });

  it("counts an IPv4-mapped IPv6 address as the IPv4 address it carries", () => {
    expect(clientGroup("::ffff:192.0.2.1")).toBe("192.0.2.1");
    expect(clientGroup("::FFFF:c000:0201")).toBe("192.0.2.1");
    expect(clientGroup("0:0:0:0:0:ffff:192.0.2.1")).toBe("192.0.2.1");
  });

  it("keeps a value that is no IP address as it is", () => {
    expect(clientGroup("unknown")).toBe("unknown");
  });
});
