export * from "./duration";
export * from "./env";
export * from "./http";
export * from "./keys";
export * from "./log";
export * from "./redis";
export * from "./service";
export * from "./replica-wait";
