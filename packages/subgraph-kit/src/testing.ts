/**
 * `@fedsession/subgraph-kit/testing`: the conformance suite every subgraph runs under jest, and helpers to play the
 * gateway in tests. Kept out of the main entry so a production subgraph never loads test code.
 */
export {
  describeSubgraphConformance,
  gatewayHeaders,
  generateGatewayKeys,
  protectedEntityProbes,
  protectedRootFields,
  type GatewayKeys,
  type ProtectedOperation,
  type StartedSubgraph,
  type SubgraphConformanceOptions,
} from "./conformance";
