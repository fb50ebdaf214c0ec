import { createBcryptLimiter } from "../src/bcrypt-limiter";
import { PasswordWorkBusy, PasswordWorkPending } from "../src/errors";

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

  it("refuses at once a holder's second operation while its first is queued or running, and takes it again after", async () => {
    const limiter = createBcryptLimiter({ concurrency: 1, queueTimeoutMs: 60_000 });
    const other = gate();
    const busy = limiter.run(() => other.promise, ["client:192.0.2.9"]);
    const first = gate();
    let firstRan = false;
    const queued = limiter.run(async () => {
      firstRan = true;
      await first.promise;
    }, ["account:flood@example.com", "client:203.0.113.7"]);
    // Queued, not yet running: the same client (any account) and the same account (any client) are refused.
    await expect(limiter.run(async () => "x", ["client:203.0.113.7"])).rejects.toBeInstanceOf(PasswordWorkPending);
    await expect(
      limiter.run(async () => "x", ["account:flood@example.com", "client:198.51.100.1"]),
    ).rejects.toMatchObject({ retryAfterSeconds: 1 });
    other.open();
    await busy;
    await settle();
    expect(firstRan).toBe(true);
    await expect(limiter.run(async () => "x", ["client:203.0.113.7"])).rejects.toBeInstanceOf(PasswordWorkPending);
    first.open();
    await queued;
    await expect(limiter.run(async () => "again", ["account:flood@example.com", "client:203.0.113.7"])).resolves.toBe(
      "again",
    );
  });

  it("keeps a flood from one holder from delaying another holder by more than one operation", async () => {
    const limiter = createBcryptLimiter({ concurrency: 1, queueTimeoutMs: 60_000 });
    const order: string[] = [];
    const gates: Gate[] = [];
    const task = (name: string) => async () => {
      order.push(name);
      const held = gate();
      gates.push(held);
      await held.promise;
    };
    const flood = Array.from({ length: 50 }, () =>
      limiter.run(task("flood"), ["client:203.0.113.7"]).catch((error: unknown) => error),
    );
    const victim = limiter.run(task("victim"), ["client:198.51.100.20"]);
    const refused = await Promise.all(flood.slice(1));
    expect(refused.every((error) => error instanceof PasswordWorkPending)).toBe(true);
    await settle();
    expect(order).toEqual(["flood"]);
    gates[0]?.open();
    await settle();
    expect(order).toEqual(["flood", "victim"]);
    gates[1]?.open();
    await victim;
  });

  it("frees a holder's place when its operation timed out in the queue or failed", async () => {
    jest.useFakeTimers();
    const limiter = createBcryptLimiter({ concurrency: 1, queueTimeoutMs: 1000 });
    const holder = gate();
    const first = limiter.run(() => holder.promise);
    const late = limiter.run(async () => "late", ["client:203.0.113.7"]).catch((error: unknown) => error);
    await jest.advanceTimersByTimeAsync(1000);
    await expect(late).resolves.toBeInstanceOf(PasswordWorkBusy);
    holder.open();
    await first;
    await expect(
      limiter.run(async () => {
        throw new Error("bcrypt failed");
      }, ["client:203.0.113.7"]),
    ).rejects.toThrow("bcrypt failed");
    await expect(limiter.run(async () => "free", ["client:203.0.113.7"])).resolves.toBe("free");
  });

  it("lets a holder have more at once when perHolder allows it", async () => {
    const limiter = createBcryptLimiter({ concurrency: 1, queueTimeoutMs: 60_000, perHolder: 2 });
    const holder = gate();
    const first = limiter.run(() => holder.promise, ["client:203.0.113.7"]);
    const second = limiter.run(async () => "second", ["client:203.0.113.7"]);
    await expect(limiter.run(async () => "third", ["client:203.0.113.7"])).rejects.toBeInstanceOf(PasswordWorkPending);
    holder.open();
    await first;
    await expect(second).resolves.toBe("second");
  });
});
