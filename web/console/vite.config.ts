import preact from "@preact/preset-vite";
import { defineConfig } from "vitest/config";

export default defineConfig({
  plugins: [preact()],
  // Assets under /assets/ at the site's root: the local stack and CloudFront serve them there.
  base: "/",
  build: { outDir: "dist", assetsDir: "assets", sourcemap: false },
  test: { include: ["test/**/*.test.ts"], environment: "node" },
});
