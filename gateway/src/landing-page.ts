import type { ApolloServerPlugin } from "@apollo/server";
import { ApolloServerPluginLandingPageDisabled } from "@apollo/server/plugin/disabled";
import { ApolloServerPluginLandingPageLocalDefault } from "@apollo/server/plugin/landingPage/default";

/**
 * Development: the embedded Apollo Sandbox at the gateway's /graphql, with cookies included, so a person signed in
 * through the web app (or by a `login` mutation in Sandbox itself) explores the graph as themselves.
 * Production: no landing page at all; Apollo Server's own default there would still answer a browser with a page.
 */
export function landingPagePlugin(production: boolean): ApolloServerPlugin {
  if (production) return ApolloServerPluginLandingPageDisabled();
  return ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: true, footer: false });
}
