// Builds pyfleet's tree-sitter addon (tree_flat.c, with tree-sitter's C library from the
// `tree-sitter` package) with node-gyp; `npm ci` runs it as @pyfleet/analysis's install script.
// A machine that cannot build it still analyses, on web-tree-sitter (slower): the failure is
// printed with where the compiler's output went, and the install goes on.
import { spawnSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));
// npm names its own node-gyp to lifecycle scripts; outside npm, node-gyp from PATH
const gyp = process.env.npm_config_node_gyp;
const [command, args] = gyp ? [process.execPath, [gyp, "rebuild"]] : ["node-gyp", ["rebuild"]];
// the headers of the Node that runs this (its tarball has them), unless npm names a folder:
// node-gyp would otherwise download them, and the machine may be offline
const prefix = dirname(dirname(process.execPath));
if (!process.env.npm_config_nodedir && existsSync(join(prefix, "include", "node", "node_api.h"))) args.push(`--nodedir=${prefix}`);
const started = Date.now();
const result = spawnSync(command, args, { cwd: here, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
const log = `${here}build.log`;
writeFileSync(log, `${command} ${args.join(" ")}\n${result.stdout ?? ""}${result.stderr ?? ""}${result.error ? String(result.error) : ""}`);
if (result.status === 0) {
  console.log(`@pyfleet/analysis: built pyfleet's tree-sitter addon in ${((Date.now() - started) / 1000).toFixed(1)} s`);
} else {
  console.warn(
    `@pyfleet/analysis: pyfleet's tree-sitter addon did not build (node-gyp ${result.error ? result.error.message : `exit ${result.status}`}); ` +
      `analysis falls back to web-tree-sitter, ~4 ms slower per 1,000 lines. Compiler output: ${log}. ` +
      "It needs python3, make and a C compiler; retry with `npm rebuild @pyfleet/analysis`.",
  );
}
