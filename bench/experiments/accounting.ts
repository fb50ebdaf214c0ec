import type Redis from "ioredis";
import type { CountingProxy } from "../counting-proxy";
import { runClosedLoop, type LoadTarget } from "../load";
import { commandCounts, commandDelta, type CommandDelta } from "../redis-stats";
import { median } from "../stats";

/** What one run cost, per request sent. */
export interface RequestCost {
  requests: number;
  sessionServiceCallsPerRequest: number;
  /** Credentials per resolve call (the gateway's batches): mean, median and largest. */
  batchSize: { mean: number; p50: number; max: number; calls: number };
  redisCommandsPerRequest: number;
  redisWritesPerRequest: number;
  commands: CommandDelta["byCommand"];
}

export interface AccountingFigures {
  anonymous: RequestCost;
  cookie: RequestCost;
  bearer: RequestCost | null;
  /** Commands on the session Redis per request of B: what the cookie costs in Redis. */
  redisCommandsPerCredentialedRequest: number;
  /** MGETs on the session Redis per resolve call of B: the batch's one round trip. */
  mgetsPerBatch: number;
  /** Credentials resolved with a write to Redis (sliding expiry), as a share of B's requests (one credential each). */
  writesPerResolve: number;
}

async function cost(
  redis: Redis,
  proxy: CountingProxy,
  target: LoadTarget,
  connections: number,
  seconds: number,
): Promise<RequestCost> {
  const calls = (counts: Map<string, number>) => [...counts.values()].reduce((sum, count) => sum + count, 0);
  const before = await commandCounts(redis);
  const proxiedBefore = calls(proxy.counts());
  proxy.takeBatchSizes();
  const result = await runClosedLoop(target, connections, seconds);
  // Let replies of the last requests land before reading the counters.
  await new Promise((resolve) => setTimeout(resolve, 200));
  const delta = commandDelta(before, await commandCounts(redis));
  const sizes = proxy.takeBatchSizes().sort((x, y) => x - y);
  // Requests still in flight when the run stopped were served too (their lookups and commands are counted).
  const requests = result.sent;
  return {
    requests,
    sessionServiceCallsPerRequest: (calls(proxy.counts()) - proxiedBefore) / requests,
    batchSize: {
      mean: sizes.length === 0 ? 0 : sizes.reduce((sum, size) => sum + size, 0) / sizes.length,
      p50: median(sizes),
      max: sizes.at(-1) ?? 0,
      calls: sizes.length,
    },
    redisCommandsPerRequest: delta.calls / requests,
    redisWritesPerRequest: delta.writes / requests,
    commands: delta.byCommand,
  };
}

/**
 * Runs A, B (and C) against the replica gateway, whose session-service traffic goes through the counting proxy, and
 * reads the session Redis's own command counters around each run. Only meaningful on a Redis nobody else uses.
 */
export async function measureAccounting(
  redis: Redis,
  proxy: CountingProxy,
  targets: { anonymous: LoadTarget; cookie: LoadTarget; bearer: LoadTarget | null },
  options: { connections: number; durationSeconds: number },
): Promise<AccountingFigures> {
  const anonymous = await cost(redis, proxy, targets.anonymous, options.connections, options.durationSeconds);
  const cookie = await cost(redis, proxy, targets.cookie, options.connections, options.durationSeconds);
  const bearer =
    targets.bearer && (await cost(redis, proxy, targets.bearer, options.connections, options.durationSeconds));
  const resolves = cookie.sessionServiceCallsPerRequest * cookie.requests;
  const credentialWrites = cookie.redisWritesPerRequest * cookie.requests;
  return {
    anonymous,
    cookie,
    bearer,
    redisCommandsPerCredentialedRequest: cookie.redisCommandsPerRequest,
    mgetsPerBatch: resolves > 0 ? (cookie.commands.mget ?? 0) / resolves : Number.NaN,
    writesPerResolve: cookie.requests > 0 ? Math.max(0, credentialWrites) / cookie.requests : Number.NaN,
  };
}
