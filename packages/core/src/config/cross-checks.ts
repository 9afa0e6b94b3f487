import type { z } from "zod";
import { EXECUTION_METHODS } from "../contracts/request.js";
import { isPlainObject } from "./substitute.js";

type Path = (string | number)[];

/** The value at `path` when every step is a mapping, else undefined. */
function at(root: unknown, path: Path): unknown {
  let v: unknown = root;
  for (const p of path) v = isPlainObject(v) ? v[p as string] : undefined;
  return v;
}

const numberAt = (root: unknown, path: Path) => {
  const v = at(root, path);
  return typeof v === "number" ? v : undefined;
};

/**
 * Rules that relate several keys. They run even when other keys are invalid (so a single check
 * reports every problem), and each rule only looks at values that already have the right type.
 */
export function crossChecks(value: unknown, ctx: z.core.$RefinementCtx<unknown>): void {
  const problem = (path: Path, input: unknown, message: string) => ctx.addIssue({ code: "custom", path, input, message });

  if (at(value, ["execution", "modes", "read_only", "allows_writes"]) === true) {
    problem(["execution", "modes", "read_only", "allows_writes"], true, "is not allowed: read-only runs never write");
  }
  const method = at(value, ["execution", "execution_method"]);
  const allowed = at(value, ["execution", "allowed_methods"]);
  const known = (m: unknown) => (EXECUTION_METHODS as readonly unknown[]).includes(m);
  // Only when both are valid on their own: a misspelt value already has its own issue.
  if (known(method) && Array.isArray(allowed) && allowed.every(known) && !allowed.includes(method)) {
    problem(["execution", "execution_method"], method, `is not among execution.allowed_methods (${allowed.join(", ")})`);
  }
  const minIdle = numberAt(value, ["execution", "container", "pool_min_idle"]);
  const maxSize = numberAt(value, ["execution", "container", "pool_max_size"]);
  if (minIdle !== undefined && maxSize !== undefined && minIdle > maxSize) {
    problem(["execution", "container", "pool_min_idle"], minIdle, `exceeds pool_max_size (${maxSize})`);
  }
  const producerPort = numberAt(value, ["producer", "port"]);
  const approverPort = numberAt(value, ["approver_http", "port"]);
  const host = at(value, ["producer", "host"]);
  if (producerPort !== undefined && producerPort === approverPort && host === at(value, ["approver_http", "host"])) {
    problem(["approver_http", "port"], approverPort, `is already used by producer.port on ${String(host)}`);
  }
  const codeBytes = numberAt(value, ["limits", "max_code_bytes"]);
  const bodyLimit = numberAt(value, ["producer", "body_limit_bytes"]);
  if (codeBytes !== undefined && bodyLimit !== undefined && codeBytes > bodyLimit) {
    problem(
      ["limits", "max_code_bytes"],
      codeBytes,
      `exceeds producer.body_limit_bytes (${bodyLimit}): such code could never be submitted`,
    );
  }
}
