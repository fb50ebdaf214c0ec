import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

/**
 * `pnpm dev:web` starts the supergraph and this dev server with GATEWAY_URL set; `/graphql` is proxied so the app,
 * its cookie and CSRF prevention live on one origin, exactly as behind `pnpm start` or a production reverse proxy.
 */
const gatewayUrl = process.env.GATEWAY_URL ?? "http://127.0.0.1:4000";

export default defineConfig({
  plugins: [react()],
  server: {
    host: "127.0.0.1",
    port: Number(process.env.WEB_PORT ?? 5173),
    strictPort: true,
    proxy: { "/graphql": { target: gatewayUrl } },
  },
  // React and Apollo Client in one chunk are about 430 kB before gzip; an app this small has nothing to split.
  build: { outDir: "dist", emptyOutDir: true, chunkSizeWarningLimit: 1024 },
});
