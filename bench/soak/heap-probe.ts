/**
 * Preloaded into every soak child (with --expose-gc): on SIGUSR2 it runs a full garbage collection and writes the
 * memory still reachable (V8 heap plus external and array buffers) to HEAP_PROBE_DIR/<pid>. RSS alone cannot tell
 * a leak from a heap V8 has not shrunk yet; what survives a full collection can.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";

const dir = process.env.HEAP_PROBE_DIR;
const collect = globalThis.gc;
if (dir !== undefined && collect !== undefined) {
  process.on("SIGUSR2", () => {
    collect();
    const { heapUsed, external } = process.memoryUsage();
    writeFileSync(path.join(dir, String(process.pid)), String(heapUsed + external));
  });
}
