import { DateTime } from "@fedsession/subgraph-kit";
import type { Resolvers } from "../generated/graphql";
import { Document } from "./Document";
import { Mutation } from "./Mutation";
import { Query } from "./Query";
import { User } from "./User";

export const resolvers: Resolvers = { DateTime, Document, Mutation, Query, User };
