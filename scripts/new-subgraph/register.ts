/**
 * The edits that register a new subgraph beside the existing ones: each takes a file's text and returns it edited,
 * or throws naming what it did not find, so the generator can prepare them all before it writes anything.
 */
import { parseDocument } from "yaml";
import type { SubgraphNames } from "./templates";

/** The first port after the gateway (4000) and the three platform subgraphs (4001-4003). */
export const FIRST_SUBGRAPH_PORT = 4004;

/** The lowest port from 4004 that no routing URL of supergraph.yaml uses. */
export function nextFreePort(routingUrls: readonly string[]): number {
  const used = new Set(routingUrls.map((url) => Number(new URL(url).port)));
  let port = FIRST_SUBGRAPH_PORT;
  while (used.has(port)) port++;
  return port;
}

/** Adds the subgraph to supergraph.yaml, keeping the file's comments and order. */
export function registerInSupergraph(text: string, { name, port }: SubgraphNames): string {
  const document = parseDocument(text);
  document.setIn(
    ["subgraphs", name],
    document.createNode({
      routing_url: `http://127.0.0.1:${port}/graphql`,
      schema: { file: `./subgraphs/${name}/schema.graphql` },
    }),
  );
  return document.toString();
}

/** Adds `start:<name>` after the last `start:` script of the root package.json. */
export function addStartScript(text: string, { name }: SubgraphNames): string {
  const manifest: unknown = JSON.parse(text);
  const isObject = (value: unknown): value is Record<string, unknown> =>
    typeof value === "object" && value !== null && !Array.isArray(value);
  if (!isObject(manifest) || !isObject(manifest.scripts)) throw new Error('package.json: no "scripts" object');
  const scripts = Object.entries(manifest.scripts);
  const lastStart = scripts.findLastIndex(([script]) => script.startsWith("start:"));
  scripts.splice(lastStart + 1, 0, [`start:${name}`, `tsx subgraphs/${name}/src/main.ts`]);
  return `${JSON.stringify({ ...manifest, scripts: Object.fromEntries(scripts) }, null, 2)}\n`;
}

/** Inserts `addition` after the last line matching `pattern`; refuses when no line does, naming what it looked for. */
function insertAfterLast(text: string, pattern: RegExp, addition: string, file: string): string {
  const lines = text.split("\n");
  const index = lines.findLastIndex((line) => pattern.test(line));
  if (index === -1) throw new Error(`${file}: found no line like ${pattern}; add the new subgraph there by hand`);
  lines.splice(index + 1, 0, addition);
  return lines.join("\n");
}

/** The image's manifests stage copies every workspace package.json (the frozen install checks them all). */
export function addDockerfileManifest(text: string, { name }: SubgraphNames): string {
  return insertAfterLast(
    text,
    /^COPY subgraphs\/[a-z]+\/package\.json subgraphs\/[a-z]+\/$/,
    `COPY subgraphs/${name}/package.json subgraphs/${name}/`,
    "Dockerfile",
  );
}

/**
 * A compose service for the subgraph (its bundle, its port, only the gateway's public key: it holds no secret and no
 * Redis user), placed before the gateway's block; the gateway gets its URL (SUBGRAPH_URL_<NAME>) and waits for it.
 */
export function addDockerComposeService(text: string, { name, port, portVariable }: SubgraphNames): string {
  const file = "docker-compose.yml";
  const lines = text.split("\n");
  const gateway = lines.indexOf("  gateway:");
  if (gateway === -1) throw new Error(`${file}: found no "  gateway:" service; add the new subgraph there by hand`);
  let blockStart = gateway;
  while (lines[blockStart - 1]?.startsWith("  #")) blockStart--;
  const gatewayEnd = lines.findIndex((line, index) => index > gateway && /^ {2}\S/.test(line));
  const gatewayBlock = lines.slice(gateway, gatewayEnd === -1 ? lines.length : gatewayEnd);
  const lastDependency = gatewayBlock.findLastIndex((line) => /^ {6}- [a-z]+$/.test(line));
  const gatewayPort = gatewayBlock.findIndex((line) => line.startsWith("      GATEWAY_PORT:"));
  if (lastDependency === -1 || gatewayPort === -1)
    throw new Error(`${file}: the gateway service has no depends_on list or GATEWAY_PORT; add the subgraph by hand`);
  gatewayBlock.splice(gatewayPort + 1, 0, `      SUBGRAPH_URL_${name.toUpperCase()}: http://${name}:${port}`);
  gatewayBlock.splice(lastDependency + 1, 0, `      - ${name}`);
  const service = [
    `  ${name}:`,
    "    <<: *service",
    `    command: ["node", "subgraphs/${name}/main.js"]`,
    "    environment:",
    "      <<: *environment",
    `      ${portVariable}: "${port}"`,
    `      HEALTH_URL: http://127.0.0.1:${port}/health`,
    "    volumes:",
    "      - ${KEYS_DIR_HOST:-./keys}/gateway.public.json:/keys/gateway.public.json:ro",
    "",
  ];
  return [
    ...lines.slice(0, blockStart),
    ...service,
    ...lines.slice(blockStart, gateway),
    ...gatewayBlock,
    ...(gatewayEnd === -1 ? [] : lines.slice(gatewayEnd)),
  ].join("\n");
}
