export * from "./client";
export * from "./protocol";
export * from "./token";
