import { silentLogger } from "@fedsession/runtime";
import { describeSubgraphConformance } from "@fedsession/subgraph-kit/testing";
import { conformanceKeysDir } from "@fedsession/testing";
import { start } from "../src/main";

describeSubgraphConformance({
  name: "auth",
  start: async (gatewayJwks) => {
    const keys = await conformanceKeysDir(gatewayJwks);
    // The lowest bcrypt cost keeps the demo accounts' start-up hashing fast; nothing here logs in.
    const service = await start({ KEYS_DIR: keys.dir, AUTH_PORT: "0", BCRYPT_COST: "4" }, silentLogger);
    return {
      url: service.url,
      close: async () => {
        await service.close();
        await keys.remove();
      },
    };
  },
});
