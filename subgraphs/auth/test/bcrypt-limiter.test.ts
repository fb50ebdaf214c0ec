import { createBcryptLimiter } from "../src/bcrypt-limiter";
import { PasswordWorkBusy } from "../src/errors";

interface Gate {
  promise: Promise<void>;
  open(): void;
}

const gate = (): Gate => {
  let open = () => {};
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
};

/** Lets every already-settled promise callback run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("bcrypt limiter", () => {
  afterEach(() => jest.useRealTimers());

  it("starts waiting tasks in arrival order, and a newcomer never overtakes the queue", async () => {
    const limiter = createBcryptLimiter({ concurrency: 1, queueTimeoutMs: 60_000 });
    const started: string[] = [];
    const gates = new Map<string, Gate>();
    const enqueue = (name: string) => {
      const held = gate();
      gates.set(name, held);
      return limiter.run(async () => {
        started.push(name);
        await held.promise;
      });
    };
    const runs = ["a", "b", "c", "d"].map(enqueue);
    await settle();
    expect(started).toEqual(["a"]);
    gates.get("a")?.open();
    // Arrives in the same tick as the release, after b, c and d.
    runs.push(enqueue("e"));
    await settle();
    expect(started).toEqual(["a", "b"]);
    for (const name of ["b", "c", "d", "e"]) {
      gates.get(name)?.open();
      await settle();
    }
    await Promise.all(runs);
    expect(started).toEqual(["a", "b", "c", "d", "e"]);
  });

  it("never runs more than its concurrency at once, and frees the slot of a task that fails", async () => {
    const limiter = createBcryptLimiter({ concurrency: 3, queueTimeoutMs: 60_000 });
    let inFlight = 0;
    let most = 0;
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, index) =>
        limiter.run(async () => {
          inFlight += 1;
          most = Math.max(most, inFlight);
          await new Promise((resolve) => setTimeout(resolve, index % 4));
          inFlight -= 1;
          if (index % 5 === 0) throw new Error(`task ${index} failed`);
          return index;
        }),
      ),
    );
    expect(most).toBe(3);
    expect(results.filter((result) => result.status === "rejected")).toHaveLength(4);
    expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(16);
    await expect(limiter.run(async () => "free again")).resolves.toBe("free again");
  });

  it("refuses a task that waited longer than the queue timeout without ever running it", async () => {
    jest.useFakeTimers();
    const limiter = createBcryptLimiter({ concurrency: 1, queueTimeoutMs: 1000 });
    const holder = gate();
    const first = limiter.run(() => holder.promise);
    let ranLate = false;
    const late = limiter.run(async () => {
      ranLate = true;
    });
    let outcome: unknown = "pending";
    late.then(
      () => (outcome = "resolved"),
      (error: unknown) => (outcome = error),
    );
    await jest.advanceTimersByTimeAsync(999);
    expect(outcome).toBe("pending");
    await jest.advanceTimersByTimeAsync(1);
    expect(outcome).toBeInstanceOf(PasswordWorkBusy);
    expect(outcome).toMatchObject({ waitedMs: 1000, retryAfterSeconds: 1 });

    // The refused task gave up its place: the next one runs as soon as the slot is free, and the refused one never.
    const next = limiter.run(async () => "next");
    holder.open();
    await first;
    await expect(next).resolves.toBe("next");
    expect(ranLate).toBe(false);
  });

  it("does not refuse a task whose turn came before the timeout", async () => {
    jest.useFakeTimers();
    const limiter = createBcryptLimiter({ concurrency: 1, queueTimeoutMs: 1000 });
    const holder = gate();
    const first = limiter.run(() => holder.promise);
    const slow = gate();
    const second = limiter.run(async () => {
      await slow.promise;
      return "second";
    });
    await jest.advanceTimersByTimeAsync(500);
    holder.open();
    await first;
    // Still running long after its wait would have timed out.
    await jest.advanceTimersByTimeAsync(5000);
    slow.open();
    await expect(second).resolves.toBe("second");
  });
});
