import { readFile } from "node:fs/promises";
import path from "node:path";
import { parse } from "yaml";
import { exportedMetricNames, serveMetrics } from "@fedsession/runtime";
import { BrowserClient } from "../support/client";
import { startStack, type Stack } from "../support/stack";

const PASSWORD = "correct horse battery";
const SIGN_UP = `mutation ($e: String!, $p: String!) { signUp(email: $e, password: $p) { user { id } } }`;
const LOGIN = `mutation ($e: String!, $p: String!) { login(email: $e, password: $p) { user { id } } }`;

/** `name{labels} value` lines of the Prometheus text format, keyed by `name{labels}`. */
function parseSamples(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const space = line.lastIndexOf(" ");
    samples.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return samples;
}

let stack: Stack;
let metrics: { url: string; close(): Promise<void> };
const scrape = async () => {
  const response = await fetch(metrics.url);
  expect(response.headers.get("content-type")).toContain("text/plain");
  return parseSamples(await response.text());
};

beforeAll(async () => {
  stack = await startStack("memory");
  metrics = await serveMetrics({ port: 0, host: "127.0.0.1" });
});
afterAll(async () => {
  await metrics.close();
  await stack.stop();
});

describe("metrics", () => {
  it("move with traffic: lookups by outcome, logins by outcome, HTTP requests per service", async () => {
    const before = await scrape();
    const delta = (after: Map<string, number>, key: string) => (after.get(key) ?? 0) - (before.get(key) ?? 0);

    const email = `metrics${Date.now()}@example.com`;
    const browser = new BrowserClient(stack.gatewayUrl);
    await browser.request(SIGN_UP, { e: email, p: PASSWORD });
    const oldCookie = browser.cookieHeader() as string;
    await browser.request(`{ me { id } }`);
    await new BrowserClient(stack.gatewayUrl).request(LOGIN, { e: email, p: "not the password" });
    await new BrowserClient(stack.gatewayUrl).request(LOGIN, { e: email, p: PASSWORD });
    await browser.request(`mutation { logout }`);
    // The ended session's cookie: a lookup that finds nothing.
    await new BrowserClient(stack.gatewayUrl).request(`{ me { id } }`, {}, { cookie: oldCookie });

    const after = await scrape();
    expect(delta(after, 'fedsession_session_lookups_total{outcome="session"}')).toBeGreaterThanOrEqual(2);
    expect(delta(after, 'fedsession_session_lookups_total{outcome="ended"}')).toBeGreaterThanOrEqual(1);
    expect(delta(after, 'fedsession_session_lookup_duration_seconds_count{outcome="session"}')).toBeGreaterThanOrEqual(
      2,
    );
    expect(delta(after, "fedsession_session_batch_size_count")).toBeGreaterThanOrEqual(3);
    expect(delta(after, 'fedsession_logins_total{outcome="success"}')).toBe(1);
    expect(delta(after, 'fedsession_logins_total{outcome="failure"}')).toBe(1);
    expect(delta(after, "fedsession_bcrypt_queue_wait_seconds_count")).toBeGreaterThanOrEqual(3);
    expect(
      delta(after, 'fedsession_http_requests_total{service="gateway",status_class="2xx",operation_type="mutation"}'),
    ).toBeGreaterThanOrEqual(4);
    expect(
      delta(after, 'fedsession_http_requests_total{service="gateway",status_class="2xx",operation_type="query"}'),
    ).toBeGreaterThanOrEqual(2);
    for (const service of ["session", "auth"]) {
      const served = [...after.keys()].filter((key) =>
        key.startsWith(`fedsession_http_requests_total{service="${service}"`),
      );
      expect(served.reduce((sum, key) => sum + delta(after, key), 0)).toBeGreaterThanOrEqual(1);
    }
    // Node's default metrics come with them.
    expect(after.has("process_cpu_user_seconds_total")).toBe(true);
  });

  it("the alert rules name only metrics the services export", async () => {
    const rules = parse(await readFile(path.resolve(__dirname, "../../ops/prometheus/alerts.yml"), "utf8")) as {
      groups: { name: string; rules: { alert: string; expr: string; labels: { severity: string } }[] }[];
    };
    const exported = new Set(await exportedMetricNames());
    const named = rules.groups
      .flatMap((group) => group.rules)
      .flatMap((rule) => {
        expect(rule.alert).toMatch(/^Fedsession/);
        expect(["page", "ticket"]).toContain(rule.labels.severity);
        return [...rule.expr.matchAll(/\b(fedsession_[a-z_]+|nodejs_[a-z0-9_]+|process_[a-z_]+)/g)].map((match) =>
          (match[1] as string).replace(/_(bucket|sum|count)$/, ""),
        );
      });
    expect(named.length).toBeGreaterThan(5);
    for (const name of named) expect([name, exported.has(name)]).toEqual([name, true]);
  });
});
