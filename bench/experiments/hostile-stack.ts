/**
 * The whole stack (in-memory stores) in one child process, for bench/experiments/hostile.ts: prints the gateway URL
 * as one JSON line and runs until killed, so the parent can watch its memory and whether it survives.
 */
import { startStack } from "../../test/support/stack";

startStack("memory").then(
  (stack) => console.log(JSON.stringify({ gatewayUrl: stack.gatewayUrl })),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
