import type { GraphQLFormattedError } from "graphql";
import { LIST_ITEM, TYPENAME_MARKER, type DeniedField } from "./authorize-operation";

/** The mutable part of a single GraphQL result that refusals change. */
export interface ResultBody {
  data?: Record<string, unknown> | null;
  errors?: readonly GraphQLFormattedError[];
}

type Container = Record<string, unknown> | unknown[];

interface Slot {
  holder: Container;
  key: string | number;
  nullable: boolean;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function setNull(slot: Slot): void {
  if (Array.isArray(slot.holder)) slot.holder[slot.key as number] = null;
  else slot.holder[slot.key as string] = null;
}

/**
 * Writes null where a refused field would have been, for every object the path reaches. A non-null field cannot
 * be null, so, as for any field error, the null goes to the nearest nullable position above it.
 */
function writeNull(body: ResultBody, denial: DeniedField): void {
  const last = denial.path.length - 1;
  const visitAt = (value: unknown, index: number, chain: readonly Slot[]): void => {
    const segment = denial.path[index] as string;
    const nullable = denial.nullable[index] ?? true;
    if (segment === LIST_ITEM) {
      if (!Array.isArray(value)) return;
      value.forEach((item, i) => visitAt(item, index + 1, [...chain, { holder: value, key: i, nullable }]));
      return;
    }
    if (!isRecord(value)) return;
    if (index < last) {
      visitAt(value[segment], index + 1, [...chain, { holder: value, key: segment, nullable }]);
      return;
    }
    const typename = value[TYPENAME_MARKER];
    if (denial.parentTypes !== null && typeof typename === "string" && !denial.parentTypes.includes(typename)) return;
    const target = nullable ? { holder: value, key: segment, nullable } : [...chain].reverse().find((s) => s.nullable);
    if (target) setNull(target);
  };
  const root = body as Record<string, unknown>;
  visitAt(body.data, 0, [{ holder: root, key: "data", nullable: true }]);
}

function removeMarkers(value: unknown): void {
  if (Array.isArray(value)) {
    value.forEach(removeMarkers);
  } else if (isRecord(value)) {
    delete value[TYPENAME_MARKER];
    Object.values(value).forEach(removeMarkers);
  }
}

/** Nulls every refused field in the result and adds one error per refused field (path with "@" for list items). */
export function applyDenials(body: ResultBody, denied: readonly DeniedField[]): void {
  for (const denial of denied) writeNull(body, denial);
  if (denied.some((denial) => denial.parentTypes !== null)) removeMarkers(body.data);
  body.errors = [
    ...(body.errors ?? []),
    ...denied.map((denial) => ({
      message: denial.message,
      path: [...denial.path],
      extensions: { code: denial.code },
    })),
  ];
}
