import pino, { type DestinationStream } from "pino";
import { currentRequestContext } from "@fedsession/subgraph-kit";

export type LogFields = Record<string, string | number | boolean | null | undefined>;

export interface Logger {
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  /** `error` is logged with its stack; the client sees only a masked message and the request id. */
  error(event: string, fields?: LogFields, error?: unknown): void;
}

/**
 * Field names that could hold a credential. Callers pass named fields and never a credential, but a mistake must
 * not reach the logs: pino censors these wherever they appear at the top level or one level down.
 */
const CREDENTIAL_FIELDS = [
  "cookie",
  "authorization",
  "password",
  "currentPassword",
  "newPassword",
  "token",
  "accessToken",
  "refreshToken",
  "secret",
  "set-cookie",
  "x-fedsession-service",
  "x-fedsession-set-session",
  "x-gateway-context",
];
export const REDACTED_PATHS = [
  ...CREDENTIAL_FIELDS.map((name) => `["${name}"]`),
  ...CREDENTIAL_FIELDS.map((name) => `*["${name}"]`),
];

/**
 * JSON lines (pino) on stdout, or to `write` (tests keep the lines). Every line written while serving a request
 * carries its `requestId`, operation and public session id (see runWithRequestContext).
 */
export function createLogger(service: string, write?: (line: string) => void): Logger {
  const destination: DestinationStream | undefined = write && { write };
  const base = pino(
    {
      base: { service },
      messageKey: "event",
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
      // A copy: pino merges each line's fields into the object mixin returns, which would carry them to later lines.
      mixin: () => ({ ...currentRequestContext() }),
    },
    destination ?? pino.destination({ dest: 1, sync: true }),
  );
  return {
    info: (event, fields = {}) => base.info(fields, event),
    warn: (event, fields = {}) => base.warn(fields, event),
    error: (event, fields = {}, error) =>
      base.error(
        error === undefined ? fields : { ...fields, err: error instanceof Error ? error : String(error) },
        event,
      ),
  };
}

export const silentLogger: Logger = { info: () => {}, warn: () => {}, error: () => {} };
