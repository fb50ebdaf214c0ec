import { readFile } from "node:fs/promises";
import { parse } from "graphql";
import { ConfigError } from "@fedsession/runtime";
import { requiredScopes, supergraphAccessPolicies } from "@fedsession/subgraph-kit";

/** What every new account gets. */
export const SIGN_UP_PERMISSIONS: readonly string[] = ["documents:read", "documents:write"];

/** The platform's own administration scopes: grantable even where no field of the supergraph names them yet. */
export const PLATFORM_ADMIN_PERMISSIONS: readonly string[] = ["sessions:admin", "users:admin"];

/**
 * Every permission an administrator can grant: each scope some @requiresScopes of the composed supergraph names,
 * plus the platform's admin scopes, sorted. A new subgraph's scopes become grantable by composing, not by editing auth.
 */
export function grantablePermissions(supergraphSdl: string): string[] {
  const scopes = requiredScopes(supergraphAccessPolicies(parse(supergraphSdl)));
  return [...new Set([...scopes, ...PLATFORM_ADMIN_PERMISSIONS])].sort();
}

/** Reads the grantable permissions from the supergraph file at SUPERGRAPH_PATH; a problem names the variable. */
export async function readGrantablePermissions(supergraphPath: string): Promise<string[]> {
  let sdl: string;
  try {
    sdl = await readFile(supergraphPath, "utf8");
  } catch (error) {
    throw new ConfigError("SUPERGRAPH_PATH", `cannot read ${supergraphPath}: ${(error as Error).message}`);
  }
  try {
    return grantablePermissions(sdl);
  } catch (error) {
    throw new ConfigError("SUPERGRAPH_PATH", `${supergraphPath} is not a supergraph: ${(error as Error).message}`);
  }
}
