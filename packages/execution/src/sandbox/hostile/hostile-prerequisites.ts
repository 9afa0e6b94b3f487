import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root and the venv the hostile suite runs on. */
export const REPO = resolve(fileURLToPath(new URL("../../../../..", import.meta.url)));
export const VENV = process.env.LOCAL_PYTHON_VENV ?? join(REPO, ".venv");
export const PYTHON = join(VENV, "bin", "python");

/** Why the suite cannot run on this machine (no venv with caproto and pyepics, no bwrap), or null. */
export function hostilePrerequisites(): string | null {
  if (!existsSync(PYTHON)) return `no project venv at ${VENV} (scripts/bootstrap.sh builds it; or set LOCAL_PYTHON_VENV)`;
  if (!existsSync("/usr/bin/bwrap")) return "no /usr/bin/bwrap (apt-get install -y bubblewrap; scripts/bootstrap.sh does)";
  try {
    execFileSync(PYTHON, ["-c", "import caproto, epics"], { stdio: "ignore" });
    return null;
  } catch {
    return `${PYTHON} lacks caproto or pyepics`;
  }
}
