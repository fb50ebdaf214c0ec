import type { IncomingMessage, ServerResponse } from "node:http";
import { sendJson } from "./http";

/** One thing a service needs before it should get traffic (Redis answering a PING, …); rejects when it is not there. */
export type ReadinessCheck = () => Promise<unknown>;

/** A check that has not answered within this is failing: a probe must answer before the orchestrator gives up. */
const CHECK_TIMEOUT_MS = 1000;

export const DEFAULT_SHUTDOWN_GRACE_MS = 10_000;

function withinTimeout(check: ReadinessCheck): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), CHECK_TIMEOUT_MS);
    check().then(
      () => resolve(true),
      () => resolve(false),
    );
    timer.unref();
  });
}

/**
 * `/health` (the process is alive and serving) and `/ready` (it should get traffic: every check passes and it is
 * not shutting down). A service only listens once its supergraph and keys are loaded, so those need no check.
 */
export class Probes {
  private stopping = false;
  private readonly checks: Record<string, ReadinessCheck> = {};

  constructor(readonly service: string) {}

  addCheck(name: string, check: ReadinessCheck): void {
    this.checks[name] = check;
  }

  /** From now on /ready answers 503, so load balancers stop sending new requests while the rest drain. */
  markStopping(): void {
    this.stopping = true;
  }

  /** Answers a probe request; false when the request is not a probe. */
  answer(req: IncomingMessage, res: ServerResponse): boolean {
    const path = req.url?.split("?", 1)[0];
    if (path === "/health") {
      sendJson(res, 200, { status: "ok", service: this.service });
      return true;
    }
    if (path !== "/ready") return false;
    void this.readiness().then(({ ready, failing }) =>
      sendJson(
        res,
        ready ? 200 : 503,
        { status: ready ? "ready" : "not ready", service: this.service, failing },
        {
          "cache-control": "no-store",
        },
      ),
    );
    return true;
  }

  async readiness(): Promise<{ ready: boolean; failing: string[] }> {
    if (this.stopping) return { ready: false, failing: ["shutting down"] };
    const names = Object.keys(this.checks);
    const results = await Promise.all(names.map((name) => withinTimeout(this.checks[name] as ReadinessCheck)));
    const failing = names.filter((_, index) => !results[index]);
    return { ready: failing.length === 0, failing };
  }
}
