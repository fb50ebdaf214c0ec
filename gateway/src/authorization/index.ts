export { authorizeOperation, type AuthorizedOperation, type DeniedField } from "./authorize-operation";
export { applyDenials } from "./denied-response";
export { authorizationPlugin } from "./plugin";
export { prepareSupergraph, type PreparedSupergraph } from "./supergraph";
