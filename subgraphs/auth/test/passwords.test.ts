import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import { compare, hash as bcryptHash } from "bcrypt";
import { createBcryptLimiter } from "../src/bcrypt-limiter";
import { PasswordWorkBusy } from "../src/errors";
import { passwordProblem } from "../src/password-policy";
import { createPasswords } from "../src/passwords";
import { isCommonPassword } from "../src/common-passwords";

describe("password policy", () => {
  it("accepts 8 to 128 characters with no composition rules", () => {
    expect(passwordProblem("correct horse battery")).toBeNull();
    expect(passwordProblem("zqxjvkwp")).toBeNull();
    expect(passwordProblem("🔑".repeat(128))).toBeNull();
  });

  it("refuses too short and too long passwords with a message naming the limit", () => {
    expect(passwordProblem("k7#qz")).toBe("Passwords need at least 8 characters");
    expect(passwordProblem("x".repeat(129))).toBe("Passwords can be at most 128 characters");
    expect(passwordProblem("🔑".repeat(7))).toContain("at least 8");
  });

  it("refuses bundled common passwords whatever their case", () => {
    for (const common of ["password1", "PASSWORD1", "Iloveyou", "qwertyuiop", "1qaz2wsx"]) {
      expect(passwordProblem(common)).toContain("most common");
    }
    expect(isCommonPassword("zqxjvkwp-unusual")).toBe(false);
  });

  it("refuses the email's name part as the password, ignoring case", () => {
    expect(passwordProblem("Zorbulon.Q", "zorbulon.q@example.com")).toContain("name part of your email");
    expect(passwordProblem("zorbulon.q-and-more", "zorbulon.q@example.com")).toBeNull();
    expect(passwordProblem("zorbulon.q", "other@example.com")).toBeNull();
  });
});

describe("password hashing", () => {
  const pepper = randomBytes(32);

  it("pre-hashes with the pepper, so the bcrypt hash is not one of the bare password", async () => {
    const passwords = await createPasswords({ cost: 4, pepper });
    const hash = await passwords.hash("orange-kettle-42");
    expect(hash).toMatch(/^\$2b\$04\$/);
    await expect(compare("orange-kettle-42", hash)).resolves.toBe(false);
    await expect(passwords.verify(hash, "orange-kettle-42")).resolves.toBe(true);
    const otherPepper = await createPasswords({ cost: 4, pepper: randomBytes(32) });
    await expect(otherPepper.verify(hash, "orange-kettle-42")).resolves.toBe(false);
  });

  it("tells apart passwords that share their first 72 bytes (no silent truncation)", async () => {
    const passwords = await createPasswords({ cost: 4, pepper });
    const prefix = "p".repeat(72);
    const hash = await passwords.hash(`${prefix}-one`);
    await expect(passwords.verify(hash, `${prefix}-one`)).resolves.toBe(true);
    await expect(passwords.verify(hash, `${prefix}-two`)).resolves.toBe(false);
    await expect(passwords.verify(hash, prefix)).resolves.toBe(false);
  });

  it("runs a comparison against a dummy hash of the same cost when there is no stored hash", async () => {
    const compared: string[] = [];
    const passwords = await createPasswords({
      cost: 5,
      pepper,
      compare: (prehashed, hash) => {
        compared.push(hash);
        expect(prehashed).toHaveLength(44);
        return compare(prehashed, hash);
      },
    });
    await expect(passwords.verify(null, "any-password-1")).resolves.toBe(false);
    expect(compared).toHaveLength(1);
    expect(compared[0]).toMatch(/^\$2b\$05\$/);
  });

  it("asks for a re-hash only when the stored cost is below the configured one", async () => {
    const passwords = await createPasswords({ cost: 5, pepper });
    expect(passwords.needsRehash(await bcryptHash("x", 4))).toBe(true);
    expect(passwords.needsRehash(await bcryptHash("x", 5))).toBe(false);
    expect(passwords.needsRehash(await bcryptHash("x", 6))).toBe(false);
  });

  describe("bound on concurrent bcrypt work", () => {
    interface Interval {
      start: number;
      end: number;
    }

    /** The real bcrypt comparison, timed: when each call started and when its result came back. */
    const timedCompare = (intervals: Interval[]) => async (prehashed: string, hash: string) => {
      const start = performance.now();
      const matches = await compare(prehashed, hash);
      intervals.push({ start, end: performance.now() });
      return matches;
    };

    const mostAtOnce = (intervals: Interval[]) =>
      Math.max(
        ...intervals.map(({ start }) => intervals.filter((other) => other.start <= start && start < other.end).length),
      );

    /** Two known users (right and wrong password) and two unknown ones (the dummy comparison), all at once. */
    const fourConcurrentVerifications = async (concurrency: number) => {
      const intervals: Interval[] = [];
      const passwords = await createPasswords({
        cost: 6,
        pepper,
        compare: timedCompare(intervals),
        limiter: createBcryptLimiter({ concurrency, queueTimeoutMs: 10_000 }),
      });
      const hash = await passwords.hash("orange-kettle-42");
      const results = await Promise.all([
        passwords.verify(hash, "orange-kettle-42"),
        passwords.verify(hash, "wrong-kettle-42"),
        passwords.verify(null, "orange-kettle-42"),
        passwords.verify(null, "any-password-1"),
      ]);
      expect(results).toEqual([true, false, false, false]);
      expect(intervals).toHaveLength(4);
      return intervals;
    };

    it("with a concurrency of 1, four concurrent verifications (dummy ones included) never overlap", async () => {
      const intervals = await fourConcurrentVerifications(1);
      const ordered = [...intervals].sort((a, b) => a.start - b.start);
      ordered.slice(1).forEach((interval, index) => {
        expect(interval.start).toBeGreaterThanOrEqual(ordered[index]?.end ?? Number.POSITIVE_INFINITY);
      });
      expect(mostAtOnce(intervals)).toBe(1);
    });

    it("lets them overlap up to the configured concurrency (so the measurement can see an overlap)", async () => {
      expect(mostAtOnce(await fourConcurrentVerifications(4))).toBe(4);
    });

    it("makes hashing, verifying and the dummy comparison all wait in the same limiter, refusing them past its timeout", async () => {
      const limiter = createBcryptLimiter({ concurrency: 1, queueTimeoutMs: 50 });
      const passwords = await createPasswords({ cost: 4, pepper, limiter });
      const hash = await passwords.hash("orange-kettle-42");
      let release = () => {};
      const held = limiter.run(() => new Promise<void>((resolve) => (release = resolve)));
      const outcomes = await Promise.allSettled([
        passwords.hash("orange-kettle-42"),
        passwords.verify(hash, "orange-kettle-42"),
        passwords.verify(null, "orange-kettle-42"),
      ]);
      release();
      await held;
      for (const outcome of outcomes) {
        expect(outcome.status === "rejected" && outcome.reason instanceof PasswordWorkBusy).toBe(true);
      }
      await expect(passwords.verify(hash, "orange-kettle-42")).resolves.toBe(true);
    });
  });
});
