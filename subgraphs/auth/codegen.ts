import { subgraphCodegen } from "../../scripts/codegen-config";

export default subgraphCodegen(__dirname, {
  contextType: "../context#AuthContext",
  mappers: { User: "../store/user-store#UserRecord" },
});
