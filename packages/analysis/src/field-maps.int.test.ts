import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { OPHYD_EPICS_MOTOR_COMPONENTS, PYEPICS_MOTOR_ALIASES } from "./field-maps.js";

/** The project venv's interpreter when it exists (CONVENTIONS), else Debian's. */
const VENV_PYTHON = fileURLToPath(new URL("../../../.venv/bin/python", import.meta.url));
const PYTHON = existsSync(VENV_PYTHON) ? VENV_PYTHON : "/usr/bin/python3";

/** Runs a Python snippet that prints JSON; null (with the reason printed) when the library is not installed. */
function fromPython(module: string, script: string): unknown {
  try {
    execFileSync(PYTHON, ["-c", `import ${module}`], { stdio: "ignore" });
  } catch {
    console.warn(`skipped: ${module} is not importable by ${PYTHON}`);
    return null;
  }
  return JSON.parse(execFileSync(PYTHON, ["-c", script], { encoding: "utf8" }));
}

describe("field maps match the installed libraries", () => {
  const pyepics = fromPython("epics.motor", "import json, epics.motor as m; print(json.dumps(m.Motor._alias))");
  it.skipIf(pyepics === null)(`pyepics Motor._alias equals PYEPICS_MOTOR_ALIASES (${PYTHON})`, () => {
    expect(PYEPICS_MOTOR_ALIASES).toEqual(pyepics);
  });

  const ophyd = fromPython(
    "ophyd",
    "import json; from ophyd import EpicsMotor; print(json.dumps({n: getattr(EpicsMotor, n).suffix for n in EpicsMotor.component_names}))",
  );
  it.skipIf(ophyd === null)(`ophyd EpicsMotor components equal OPHYD_EPICS_MOTOR_COMPONENTS (${PYTHON})`, () => {
    expect(OPHYD_EPICS_MOTOR_COMPONENTS).toEqual(ophyd);
  });
});
