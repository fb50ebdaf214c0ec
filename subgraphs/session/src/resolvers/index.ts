import { DateTime } from "./DateTime";
import { Mutation } from "./Mutation";
import { Query } from "./Query";
import { Session } from "./Session";

export const resolvers = { DateTime, Query, Mutation, Session };
