import { silentLogger } from "@fedsession/runtime";
import { describeSubgraphConformance } from "@fedsession/subgraph-kit/testing";
import { conformanceKeysDir } from "@fedsession/testing";
import { start } from "../src/main";

describeSubgraphConformance({
  name: "documents",
  start: async (gatewayJwks) => {
    const keys = await conformanceKeysDir(gatewayJwks);
    const service = await start({ KEYS_DIR: keys.dir, DOCUMENTS_PORT: "0" }, silentLogger);
    return {
      url: service.url,
      close: async () => {
        await service.close();
        await keys.remove();
      },
    };
  },
  // Guarded in the resolvers today; the kit also finds any root field the schema marks with the directives.
  protectedOperations: [
    { name: "documents", query: "{ documents { id } }" },
    { name: "createDocument", query: 'mutation { createDocument(title: "t", body: "b") { id } }' },
    { name: "deleteDocument", query: 'mutation { deleteDocument(id: "d1") }' },
  ],
});
