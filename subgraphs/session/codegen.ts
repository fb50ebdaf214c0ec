import { subgraphCodegen } from "../../scripts/codegen-config";

export default subgraphCodegen(__dirname, {
  contextType: "../context#SessionContext",
  mappers: { Session: "../store/session-store#SessionRecord" },
  scalars: { JSON: "../json#JsonValue", JSONObject: "../json#JsonObject" },
});
