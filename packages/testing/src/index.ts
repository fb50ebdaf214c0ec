export * from "./clock";
export * from "./redis";
export * from "./redis-process";
