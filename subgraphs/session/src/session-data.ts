import type { JsonObject, JsonValue } from "./json";

export const MAX_SESSION_DATA_BYTES = 4096;
const KEY_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;

/** A setSessionData call the limits refuse; the message tells the client what to change. */
export class InvalidSessionData extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InvalidSessionData";
  }
}

/** The data with one key set (or removed, for null), checked against the key format and the size limit. */
export function withSessionData(data: JsonObject, key: string, value: JsonValue): JsonObject {
  if (!KEY_PATTERN.test(key)) {
    throw new InvalidSessionData("Session data keys are 1 to 64 characters of A-Z, a-z, 0-9, _ . : and -");
  }
  // Computed keys define own properties, so even "__proto__" is stored as plain data, never as a prototype.
  const { [key]: _previous, ...rest } = data;
  const next: JsonObject = value === null ? rest : { ...rest, [key]: value };
  const size = Buffer.byteLength(JSON.stringify(next), "utf8");
  if (size > MAX_SESSION_DATA_BYTES) {
    throw new InvalidSessionData(
      `Session data is limited to ${MAX_SESSION_DATA_BYTES} bytes of JSON; this change would make it ${size} bytes`,
    );
  }
  return next;
}
