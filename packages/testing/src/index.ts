export * from "./clock";
export * from "./redis";
