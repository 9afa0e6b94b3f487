import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { PyfleetError } from "@pyfleet/core";

/** Where `npm run build -w @pyfleet/console` (and bootstrap) put the built page. */
export const DEFAULT_WEB_ROOT = fileURLToPath(new URL("../dist/web", import.meta.url));

/**
 * The folder holding the built console (index.html and assets).
 * @throws PyfleetError `CONFIG_INVALID` naming the build command when it was never built.
 */
export function webRoot(dir: string = DEFAULT_WEB_ROOT): string {
  if (!existsSync(`${dir}/index.html`)) {
    throw new PyfleetError("CONFIG_INVALID", `the console is not built (no ${dir}/index.html): run npm run build -w @pyfleet/console (bootstrap does it too)`);
  }
  return dir;
}
