import { subgraphCodegen } from "../../scripts/codegen-config";

export default subgraphCodegen(__dirname, {
  contextType: "../context#DocumentsContext",
  mappers: { Document: "../store/document-store#DocumentRecord", User: "../resolvers/User#UserReference" },
});
