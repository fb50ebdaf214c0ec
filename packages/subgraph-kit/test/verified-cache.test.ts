import { VerifiedTokenCache } from "../src/verified-cache";

describe("the verified-token cache", () => {
  it("answers a token until its expiry and forgets it then", () => {
    const cache = new VerifiedTokenCache<string>();
    cache.set("t1", "alice", 1_000, 0);
    expect(cache.get("t1", 999)).toBe("alice");
    expect(cache.get("t1", 1_000)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it("holds only live tokens: each insert drops the expired ones, however many were never asked for again", () => {
    const cache = new VerifiedTokenCache<number>();
    for (let index = 0; index < 1_000; index++) cache.set(`old-${index}`, index, 60_000, 0);
    expect(cache.size).toBe(1_000);
    cache.set("new", 1, 120_000, 60_000);
    expect(cache.size).toBe(1);
    expect(cache.get("new", 60_001)).toBe(1);
  });

  it("keeps insertion order when a token is stored again, so a refreshed entry is not dropped as the oldest", () => {
    const cache = new VerifiedTokenCache<string>();
    cache.set("a", "first", 1_000, 0);
    cache.set("b", "second", 1_500, 500);
    cache.set("a", "again", 2_000, 900);
    cache.set("c", "third", 2_600, 1_600);
    expect(cache.get("b", 1_600)).toBeUndefined();
    expect(cache.get("a", 1_600)).toBe("again");
    expect(cache.size).toBe(2);
  });

  it("stays bounded by its capacity when every token is still live", () => {
    const cache = new VerifiedTokenCache<number>(10);
    for (let index = 0; index < 25; index++) cache.set(`live-${index}`, index, 60_000, 0);
    expect(cache.size).toBeLessThanOrEqual(10);
    expect(cache.get("live-24", 1)).toBe(24);
  });
});
