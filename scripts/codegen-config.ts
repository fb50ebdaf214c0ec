import path from "node:path";
import type { CodegenConfig } from "@graphql-codegen/cli";

/** Where each subgraph's resolver types are written, relative to its package root. */
export const GENERATED_TYPES = "src/generated/graphql.ts";

export interface SubgraphCodegenOptions {
  /** The context resolvers receive, as `<module relative to src/generated>#<exported type>`. */
  contextType: string;
  /** A GraphQL type → the TypeScript value its resolvers receive as parent (`<module>#<exported type>`). */
  mappers?: Record<string, string>;
  /** TypeScript types of the subgraph's own scalars; DateTime is shared (see subgraph-kit's date-time.ts). */
  scalars?: Record<string, string | { input: string; output: string }>;
}

/**
 * One subgraph's GraphQL Code Generator configuration: `typescript` and `typescript-resolvers` with Federation
 * (`__resolveReference`, `@key` references) over the package's schema.graphql. `pnpm codegen` runs it.
 */
export function subgraphCodegen(packageRoot: string, options: SubgraphCodegenOptions): CodegenConfig {
  return {
    schema: path.join(packageRoot, "schema.graphql"),
    generates: {
      [path.join(packageRoot, GENERATED_TYPES)]: {
        plugins: ["typescript", "typescript-resolvers"],
        config: {
          federation: true,
          useTypeImports: true,
          enumsAsTypes: true,
          contextType: options.contextType,
          mappers: options.mappers ?? {},
          // Resolvers may return a Date or epoch milliseconds; arguments arrive as Dates.
          scalars: { DateTime: { input: "Date", output: "Date | number" }, ...options.scalars },
        },
      },
    },
  };
}
