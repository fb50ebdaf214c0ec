import { silentLogger } from "@fedsession/runtime";
import { describeSubgraphConformance } from "@fedsession/subgraph-kit/testing";
import { conformanceKeysDir } from "@fedsession/testing";
import { start } from "../src/main";

describeSubgraphConformance({
  name: "session",
  start: async (gatewayJwks) => {
    const keys = await conformanceKeysDir(gatewayJwks);
    const service = await start({ KEYS_DIR: keys.dir, SESSION_PORT: "0" }, silentLogger);
    return {
      url: service.url,
      close: async () => {
        await service.close();
        await keys.remove();
      },
    };
  },
});
