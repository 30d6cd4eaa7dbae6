import { defineConfig } from "vitest/config";

// One classic script (IIFE) that any website can load with a plain <script async>: no module, no chunks, its CSS
// inlined into the Shadow DOM it builds.
export default defineConfig({
  build: {
    target: "es2020",
    lib: {
      entry: "src/main.ts",
      formats: ["iife"],
      name: "ParleyWidget",
      fileName: () => "widget.js",
    },
    sourcemap: false,
  },
  test: {
    include: ["test/**/*.test.ts"],
  },
});
