// Builds the app into the Python package (src/sluice/server/ui_dist), which `sluice server`
// serves at `/`. `base: './'`: asset URLs are relative, and the server's <base> tag makes
// them resolve from the app's root (deep links, path prefixes). See docs/ui.md.
import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";

export default defineConfig({
  base: "./",
  plugins: [react()],
  build: {
    outDir: "../src/sluice/server/ui_dist",
    emptyOutDir: true,
    chunkSizeWarningLimit: 1000,
  },
  server: {
    // `make ui-dev`: the API comes from a `sluice server` on its default port.
    proxy: { "/apis": { target: "http://127.0.0.1:8888", changeOrigin: false } },
  },
  test: {
    include: ["src/**/*.test.ts"],
    environment: "node",
  },
});
