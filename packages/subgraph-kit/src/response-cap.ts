import type { ApolloServerPlugin, BaseContext } from "@apollo/server";

export const RESPONSE_TOO_LARGE = "RESPONSE_TOO_LARGE";

/**
 * Whether `value` serialises to at most `budget` characters of JSON, give or take escapes. Stops as soon as the
 * budget is spent, so checking a huge result costs no more than the budget.
 */
export function jsonFitsWithin(value: unknown, budget: number): boolean {
  let remaining = budget;
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const item = pending.pop();
    if (typeof item === "string") remaining -= item.length + 3;
    else if (Array.isArray(item)) {
      remaining -= 2 + item.length;
      for (const element of item) pending.push(element);
    } else if (typeof item === "object" && item !== null) {
      remaining -= 2;
      for (const [key, member] of Object.entries(item)) {
        remaining -= key.length + 4;
        pending.push(member);
      }
    } else remaining -= 8;
    if (remaining < 0) return false;
  }
  return true;
}

/**
 * Caps what one response may hold: a result over `maxBytes` of JSON is replaced, before it is serialised, by a
 * RESPONSE_TOO_LARGE error, so a wrong cost estimate still cannot build a response that exhausts memory.
 */
export function responseCapPlugin<TContext extends BaseContext>(
  maxBytes: number,
  onRefused: () => void = () => {},
): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response }) {
          if (response.body.kind !== "single") return;
          const result = response.body.singleResult;
          if (jsonFitsWithin(result, maxBytes)) return;
          onRefused();
          response.body.singleResult = {
            errors: [
              {
                message: `The response would exceed ${maxBytes} bytes: ask for fewer items or smaller fields`,
                extensions: { code: RESPONSE_TOO_LARGE, maxBytes },
              },
            ],
          };
        },
      };
    },
  };
}
