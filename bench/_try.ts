import { startStack, graphqlUrl } from "./stack";
import { postGraphQL } from "./client";
import { PUBLIC_QUERY } from "./queries";
async function main() {
  const t = Date.now();
  const stack = await startStack({ redisUrl: null, bcryptCost: 10 });
  console.log("started in", Date.now() - t);
  try {
    console.log(JSON.stringify(await postGraphQL(graphqlUrl(stack.gateway), PUBLIC_QUERY)));
    console.log(JSON.stringify(await postGraphQL(graphqlUrl(stack.hiveGateway), PUBLIC_QUERY)));
  } finally {
    await stack.stop();
  }
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
