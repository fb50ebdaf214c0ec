export * from "./access-token";
export * from "./client";
export * from "./protocol";
export * from "./token";
