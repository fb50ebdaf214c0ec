import type { GraphQLResolverMap } from "@apollo/subgraph/dist/schema-helper";
import type { AuthContext } from "../context";
import { DateTime } from "@fedsession/subgraph-kit";
import { Mutation } from "./Mutation";
import { Query } from "./Query";
import { User } from "./User";

export const resolvers = { DateTime, Query, Mutation, User } satisfies GraphQLResolverMap<AuthContext>;
