export * from "./directives";
export * from "./estimate";
export * from "./plugin";
