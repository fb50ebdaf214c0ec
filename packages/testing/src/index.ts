export * from "./clock";
export * from "./redis";
export * from "./redis-process";
export * from "./redis-cluster";
export * from "./fault-proxy";
export * from "./redis-sentinel";
export * from "./conformance-keys";
