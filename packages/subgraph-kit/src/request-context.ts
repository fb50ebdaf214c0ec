import { AsyncLocalStorage } from "node:async_hooks";
import type { IncomingMessage } from "node:http";
import { randomUUID } from "node:crypto";
import type { ApolloServerPlugin, BaseContext } from "@apollo/server";

/** The header that carries one request's id from the gateway to the session lookup and every subgraph fetch. */
export const REQUEST_ID_HEADER = "x-request-id";

/** What every log line written while serving one request carries; filled in as the request goes on. */
export interface RequestContext {
  requestId: string;
  /** The GraphQL operation name, once known. */
  operation?: string;
  /** query, mutation or subscription, once known. */
  operationType?: string;
  /** The public session id (never the secret), once the credential is resolved. */
  sessionId?: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

/** Runs one request's work with its context, so the logger and outgoing calls find it without passing it around. */
export function runWithRequestContext<T>(context: RequestContext, work: () => T): T {
  return storage.run(context, work);
}

/** The context of the request being served, if any (undefined at start-up and in background work). */
export function currentRequestContext(): RequestContext | undefined {
  return storage.getStore();
}

// The id lands in log lines: only a plain token, so a caller cannot forge line breaks or fields.
const REQUEST_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

/** A service behind the gateway keeps the gateway's id when it sent a well-formed one, else makes its own. */
export function incomingRequestId(req: IncomingMessage): string {
  const value = req.headers[REQUEST_ID_HEADER];
  return typeof value === "string" && REQUEST_ID_PATTERN.test(value) ? value : randomUUID();
}

/** The header to send on a call made while serving a request, so the callee's log lines carry the same id. */
export function requestIdHeaders(): Record<string, string> {
  const context = storage.getStore();
  return context ? { [REQUEST_ID_HEADER]: context.requestId } : {};
}

/** Puts the GraphQL operation name and type into the request context once Apollo has resolved it. */
export function requestContextPlugin<TContext extends BaseContext>(): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operationName, operation }) {
          const context = storage.getStore();
          if (!context) return;
          if (operationName) context.operation = operationName;
          if (operation) context.operationType = operation.operation;
        },
      };
    },
  };
}
