import { GraphQLError } from "graphql";
import { SessionStoreUnavailable } from "../errors";

/** Runs a store-backed resolver step, turning a store failure into the public 503 error. */
export async function orUnavailable<T>(operation: Promise<T>): Promise<T> {
  try {
    return await operation;
  } catch (error) {
    if (error instanceof SessionStoreUnavailable) {
      throw new GraphQLError("The session store is unavailable; try again shortly", {
        extensions: { code: "SESSION_STORE_UNAVAILABLE", http: { status: 503 } },
      });
    }
    throw error;
  }
}
