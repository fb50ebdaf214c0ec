import { DateTime } from "@fedsession/subgraph-kit";
import type { Resolvers } from "../generated/graphql";
import { JSONScalar } from "./JSON";
import { JSONObject } from "./JSONObject";
import { Mutation } from "./Mutation";
import { Query } from "./Query";
import { Session } from "./Session";

export const resolvers: Resolvers = { DateTime, JSON: JSONScalar, JSONObject, Query, Mutation, Session };
