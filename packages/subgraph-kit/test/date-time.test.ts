import { DateTime } from "../src";

describe("the shared DateTime scalar", () => {
  it("sends Dates and epoch milliseconds as ISO-8601 strings in UTC", () => {
    expect(DateTime.serialize(new Date(Date.UTC(2026, 0, 1)))).toBe("2026-01-01T00:00:00.000Z");
    expect(DateTime.serialize(Date.UTC(2026, 0, 1, 12))).toBe("2026-01-01T12:00:00.000Z");
  });

  it("reads ISO-8601 arguments as Dates and refuses anything else", () => {
    expect(DateTime.parseValue("2026-01-01T10:00:00+02:00")).toEqual(new Date(Date.UTC(2026, 0, 1, 8)));
    expect(() => DateTime.parseValue("yesterday")).toThrow(/DateTime/);
  });

  it("is named DateTime, as every subgraph's schema declares it", () => {
    expect(DateTime.name).toBe("DateTime");
  });
});
