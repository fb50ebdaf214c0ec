# One image for the four services and the web app; docker-compose.yml picks the service with the command.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
RUN npm install --global pnpm@10.34.9
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml ./
COPY gateway/package.json gateway/
COPY subgraphs/session/package.json subgraphs/session/
COPY subgraphs/auth/package.json subgraphs/auth/
COPY subgraphs/documents/package.json subgraphs/documents/
COPY packages/runtime/package.json packages/runtime/
COPY packages/subgraph-kit/package.json packages/subgraph-kit/
COPY packages/session-client/package.json packages/session-client/
COPY packages/testing/package.json packages/testing/
COPY apps/web/package.json apps/web/
# tsx runs the TypeScript sources directly, so the dev dependencies are part of the runtime image.
RUN pnpm install --frozen-lockfile --prod=false
COPY . .
# The web app is built into the image (apps/web/dist); `pnpm start:web` serves it and forwards /graphql.
RUN pnpm build:web
USER node
ENV LISTEN_HOST=0.0.0.0
CMD ["pnpm", "start:gateway"]
