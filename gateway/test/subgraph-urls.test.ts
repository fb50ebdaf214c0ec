import { readFileSync } from "node:fs";
import path from "node:path";
import { parse } from "graphql";
import { ConfigError } from "@fedsession/runtime";
import { readConfig } from "../src/config";
import { checkSubgraphUrlOverrides, supergraphSubgraphNames } from "../src/subgraph-urls";

const refusal = (run: () => unknown): { variable: string; message: string } | null => {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return { variable: error.variable, message: error.message };
    throw error;
  }
  return null;
};

describe("subgraph URL overrides", () => {
  it("reads SUBGRAPH_URL_<NAME> for any subgraph: an origin means its /graphql, a path is kept", () => {
    const config = readConfig({
      SUBGRAPH_URL_BILLING: "http://billing:4004",
      SUBGRAPH_URL_LEGACY_REPORTS: "https://reports.example.com/api/graphql",
    });
    expect(config.subgraphUrls).toEqual({
      billing: { url: "http://billing:4004/graphql", variable: "SUBGRAPH_URL_BILLING" },
      legacy_reports: { url: "https://reports.example.com/api/graphql", variable: "SUBGRAPH_URL_LEGACY_REPORTS" },
    });
  });

  it("keeps SESSION_URL, AUTH_URL and DOCUMENTS_URL as aliases, and the session lookup follows the session subgraph", () => {
    const config = readConfig({ SESSION_URL: "http://session:4001", DOCUMENTS_URL: "http://documents:4003" });
    expect(config.subgraphUrls).toEqual({
      session: { url: "http://session:4001/graphql", variable: "SESSION_URL" },
      documents: { url: "http://documents:4003/graphql", variable: "DOCUMENTS_URL" },
    });
    expect(config.sessionServiceUrl).toBe("http://session:4001/");
    expect(readConfig({ SUBGRAPH_URL_SESSION: "http://s:9001/graphql" }).sessionServiceUrl).toBe("http://s:9001/");
    expect(readConfig({}).sessionServiceUrl).toBe("http://127.0.0.1:4001/");
  });

  it("accepts an alias and its SUBGRAPH_URL_ twin when they agree and refuses them when they differ", () => {
    const agreeing = readConfig({ AUTH_URL: "http://auth:4002", SUBGRAPH_URL_AUTH: "http://auth:4002/graphql" });
    expect(agreeing.subgraphUrls.auth?.url).toBe("http://auth:4002/graphql");
    const conflict = refusal(() =>
      readConfig({ AUTH_URL: "http://auth:4002", SUBGRAPH_URL_AUTH: "http://other:4002" }),
    );
    expect(conflict?.variable).toBe("AUTH_URL");
    expect(conflict?.message).toContain("SUBGRAPH_URL_AUTH");
  });

  it("names the variable of a malformed URL or name", () => {
    expect(refusal(() => readConfig({ SUBGRAPH_URL_BILLING: "not a url" }))?.variable).toBe("SUBGRAPH_URL_BILLING");
    expect(refusal(() => readConfig({ SUBGRAPH_URL_billing: "http://billing:4004" }))?.variable).toBe(
      "SUBGRAPH_URL_billing",
    );
  });

  it("refuses an override for a subgraph the supergraph does not have", () => {
    const sdl = readFileSync(path.resolve(__dirname, "../../supergraph.graphql"), "utf8");
    const names = supergraphSubgraphNames(parse(sdl));
    expect([...names].sort()).toEqual(["auth", "documents", "session"]);
    const overrides = readConfig({ SUBGRAPH_URL_DOCUMENTS: "http://d:1", SUBGRAPH_URL_DOCUMENT: "http://d:1" });
    const refused = refusal(() => checkSubgraphUrlOverrides(overrides.subgraphUrls, names));
    expect(refused?.variable).toBe("SUBGRAPH_URL_DOCUMENT");
    expect(refused?.message).toContain('no subgraph "document"');
  });
});
