import type { GraphQLResolverMap } from "@apollo/subgraph/dist/schema-helper";
import type { DocumentsContext } from "../context";
import { DateTime } from "@fedsession/subgraph-kit";
import { Document } from "./Document";
import { Mutation } from "./Mutation";
import { Query } from "./Query";
import { User } from "./User";

export const resolvers = { DateTime, Document, Mutation, Query, User } satisfies GraphQLResolverMap<DocumentsContext>;
