# One image for the gateway, the subgraphs and the web app's server; docker-compose.yml picks the process with the
# command (`node <service>/main.js`). `deps` installs the production dependencies only, `build` compiles
# (`pnpm build`: one JavaScript bundle per service, see scripts/build.ts), and the runtime stage holds node, those
# dependencies and the compiled tree: no pnpm, no tsx, no TypeScript, no dev dependency.
FROM node:20-bookworm-slim AS manifests
RUN npm install --global pnpm@10.34.9
WORKDIR /src
# Every workspace package's manifest: the frozen install checks them all against pnpm-lock.yaml.
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml ./
COPY gateway/package.json gateway/
COPY subgraphs/session/package.json subgraphs/session/
COPY subgraphs/auth/package.json subgraphs/auth/
COPY subgraphs/documents/package.json subgraphs/documents/
COPY packages/runtime/package.json packages/runtime/
COPY packages/subgraph-kit/package.json packages/subgraph-kit/
COPY packages/session-client/package.json packages/session-client/
COPY packages/subgraph-host/package.json packages/subgraph-host/
COPY packages/testing/package.json packages/testing/
COPY apps/web/package.json apps/web/

FROM manifests AS deps
# Laid out like the repository: each bundle requires an npm package from the folder of the workspace package that
# imports it (scripts/build.ts), which holds that package's own production dependencies, at the versions it declares.
RUN pnpm install --frozen-lockfile --prod

FROM manifests AS build
RUN pnpm install --frozen-lockfile
COPY . .
RUN pnpm build

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
ENV LISTEN_HOST=0.0.0.0
# Each service's compose block sets the URL of its own /health.
ENV HEALTH_URL=http://127.0.0.1:4000/health
WORKDIR /app
COPY --from=deps /src ./
COPY --from=build /src/dist ./
USER node
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch(process.env.HEALTH_URL, { signal: AbortSignal.timeout(4000) }).then((response) => process.exit(response.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "gateway/main.js"]
