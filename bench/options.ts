import { ConfigError, EnvReader, type Env } from "@fedsession/runtime";

export interface BenchOptions {
  quick: boolean;
  /** Closed-loop seconds per scenario and round. */
  durationSeconds: number;
  /** Warm-up of each scenario; a gateway process serving fewer scenarios than the main one gets more per scenario. */
  warmupSeconds: number;
  /** Unmeasured seconds of a scenario's load right before each of its measured runs (0: none). */
  settleSeconds: number;
  rounds: number;
  connections: number;
  /** Seconds per open-loop and login-storm run. */
  openLoopSeconds: number;
  /** Logins through gateway 1 whose propagation to gateway 2 is timed. */
  revocations: number;
  /** Sessions in the large store of the resolve-latency comparison (the small one holds 1k). */
  largeStoreSessions: number;
  /** Fixed rate of the open-loop and login-storm runs; null: half of B's measured maximum (the target is set there). */
  openLoopRate: number | null;
  bcryptCost: number;
  /** A Redis for the stack; unset: a private redis-server, so command counts and memory are ours alone. */
  redisUrl: string | null;
  /** `--profile <scenario>`: run only that scenario and write a CPU profile of its gateway; null: the full benchmark. */
  profile: string | null;
}

/**
 * Flags win over environment variables: `--quick`, `--duration=<s>`, `--rounds=<n>`, `--connections=<n>`,
 * `--profile <scenario>`.
 * BENCH_QUICK=1, BENCH_DURATION, BENCH_ROUNDS, BENCH_CONNECTIONS, BENCH_RATE (open loop, req/s), BENCH_REDIS_URL,
 * BENCH_BCRYPT_COST; any BENCH_X can also be given as --x=<value>.
 */
export function readOptions(argv: readonly string[], env: Env): BenchOptions {
  const flags: Record<string, string> = {};
  const rest = argv.filter((argument) => argument !== "--");
  for (let i = 0; i < rest.length; i++) {
    const argument = rest[i] as string;
    // `--profile B` as well as `--profile=B`: the one flag whose value reads naturally as a separate word.
    const next = rest[i + 1];
    if (argument === "--profile" && next !== undefined && !next.startsWith("--")) {
      flags.BENCH_PROFILE = next;
      i++;
      continue;
    }
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(argument);
    if (!match) throw new ConfigError("argv", `unknown argument "${argument}" (try --quick, --duration=5, --rounds=3)`);
    const name = `BENCH_${(match[1] as string).toUpperCase().replace(/-/g, "_")}`;
    flags[name] = match[2] ?? "1";
  }
  const reader = new EnvReader({ ...env, ...flags });
  const quick = reader.optional("BENCH_QUICK") === "1" || reader.optional("BENCH_QUICK") === "true";
  return {
    quick,
    durationSeconds: reader.integer("BENCH_DURATION", quick ? 1 : 5, { min: 1, max: 600 }),
    warmupSeconds: reader.integer("BENCH_WARMUP", quick ? 1 : 3, { min: 1, max: 60 }),
    settleSeconds: reader.integer("BENCH_SETTLE", quick ? 0 : 1, { min: 0, max: 60 }),
    rounds: reader.integer("BENCH_ROUNDS", 3, { min: 1, max: 50 }),
    connections: reader.integer("BENCH_CONNECTIONS", 32, { min: 1, max: 1024 }),
    openLoopSeconds: reader.integer("BENCH_OPEN_LOOP_DURATION", quick ? 1 : 5, { min: 1, max: 600 }),
    revocations: reader.integer("BENCH_REVOCATIONS", quick ? 20 : 100, { min: 1, max: 10_000 }),
    largeStoreSessions: reader.integer("BENCH_LARGE_STORE", quick ? 100_000 : 1_000_000, {
      min: 100_000,
      max: 10_000_000,
    }),
    openLoopRate:
      reader.optional("BENCH_RATE") === undefined ? null : reader.integer("BENCH_RATE", 0, { min: 1, max: 1_000_000 }),
    bcryptCost: reader.integer("BENCH_BCRYPT_COST", quick ? 10 : 12, { min: 4, max: 15 }),
    redisUrl: reader.optional("BENCH_REDIS_URL") ?? null,
    profile: reader.optional("BENCH_PROFILE") ?? null,
  };
}
