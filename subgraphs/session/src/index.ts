export * from "./config";
export * from "./errors";
export * from "./main";
export * from "./server";
export * from "./sessions";
export * from "./store/memory";
export * from "./store/redis";
export * from "./store/session-store";
