// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these tests are about literal ${VAR} text in YAML
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, expectTypeOf, it } from "vitest";
import { PyfleetError } from "../errors.js";
import { ENV_DEFAULTS } from "./env-defaults.js";
import type { ConfigIssue } from "./issues.js";
import { loadConfig, loadConfigFromString, resolveConfigPath } from "./load.js";
import type { PyfleetConfig } from "./schema.js";

const COMMITTED = fileURLToPath(new URL("../../../../config.yml", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "pyfleet-config-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function collect(text: string, env: Record<string, string> = {}) {
  const warnings: ConfigIssue[] = [];
  const config = loadConfigFromString(text, { env, onWarning: (w) => warnings.push(w) });
  return { config, warnings };
}

const ORIGINAL_ONLY = `
framework:
  execution:
    execution_method: container
    modes:
      read_only: { kernel_name: python3-epics-readonly, allows_writes: false, requires_approval: false }
      write_access: { kernel_name: python3-epics-write, allows_writes: true, requires_approval: true }
    container:
      jupyter_host: jupyter-read
      jupyter_port: 8088
  approval:
    global_mode: selective
    capabilities:
      python_execution:
        enabled: true
        mode: control_writes
`;

describe("loadConfig", () => {
  it("loads the committed config.yml without warnings", () => {
    const warnings: ConfigIssue[] = [];
    const config = loadConfig({ file: COMMITTED, env: {}, onWarning: (w) => warnings.push(w) });
    expect(warnings).toEqual([]);
    expect(config.execution.execution_method).toBe("local");
    expect(config.redis).toEqual({ url: "redis://127.0.0.1:6379", prefix: "pyfleet" });
    expect(config.approval.capabilities.python_execution.mode).toBe("epics_writes");
  });

  it("documents every key with a value in the committed config.yml with a comment on its line", () => {
    const undocumented = readFileSync(COMMITTED, "utf8")
      .split("\n")
      .filter((line) => /^\s*[a-z_]+:\s*[^\s#]/.test(line) && !line.includes(" # "));
    expect(undocumented).toEqual([]);
  });

  it("gives an empty file exactly the values of the committed config.yml (they document the defaults)", () => {
    const env = { REDIS_URL: "redis://10.0.0.5:6380", JUPYTER_PORT: "9999", PYFLEET_MODEL: "llama3" };
    expect(loadConfigFromString("", { env })).toEqual(loadConfig({ file: COMMITTED, env }));
    expect(loadConfigFromString("framework:\n", { env })).toEqual(loadConfig({ file: COMMITTED, env }));
  });

  it("loads a config with the original system's keys only, filling every other default", () => {
    const { config, warnings } = collect(ORIGINAL_ONLY);
    expect(warnings).toEqual([]);
    expect(config.python_executor).toEqual({
      max_generation_retries: 3,
      max_execution_retries: 3,
      execution_timeout_seconds: 600,
    });
    expect(config.execution.execution_method).toBe("container");
    expect(config.execution.container.jupyter_host).toBe("jupyter-read");
    expect(config.execution.container.jupyter_port).toBe(8088);
    expect(config.execution.container.pool_max_size).toBe(4);
    expect(config.execution.local.python_env_path).toBe(".venv");
    expect(config.approval.capabilities.python_execution).toEqual({ enabled: true, mode: "epics_writes" });
    expect(config.queues.execute_write_access).toEqual({ concurrency: 1, attempts: 1, backoff_ms: 1000 });
    expect(config.limits.max_code_bytes).toBe(262_144);
    expect(config.approver.required_approvals).toEqual({ read_only: 1, write_access: 1 });
  });

  it("types enums as literal unions and coerced values as numbers (checked by tsc)", () => {
    expectTypeOf<PyfleetConfig["execution"]["execution_method"]>().toEqualTypeOf<"container" | "local" | "docker">();
    expectTypeOf<PyfleetConfig["approval"]["global_mode"]>().toEqualTypeOf<"disabled" | "selective" | "all_capabilities">();
    expectTypeOf<PyfleetConfig["approval"]["capabilities"]["python_execution"]["mode"]>().toEqualTypeOf<
      "disabled" | "all_code" | "epics_writes"
    >();
    expectTypeOf<PyfleetConfig["execution"]["container"]["jupyter_port"]>().toEqualTypeOf<number>();
    expectTypeOf<PyfleetConfig["execution"]["modes"]["write_access"]["allows_writes"]>().toEqualTypeOf<boolean>();
  });

  it("treats an empty value (key:) as the default", () => {
    const { config } = collect("framework:\n  python_executor:\n    max_execution_retries:\n  approval:\n");
    expect(config.python_executor.max_execution_retries).toBe(3);
    expect(config.approval.global_mode).toBe("selective");
  });

  it("reads the original's execution.python_env_path as execution.local.python_env_path, with a warning", () => {
    const { config, warnings } = collect("framework:\n  execution:\n    python_env_path: /opt/venv\n");
    expect(config.execution.local.python_env_path).toBe("/opt/venv");
    expect(warnings).toEqual([
      {
        path: "framework.execution.python_env_path",
        message: "read as framework.execution.local.python_env_path (the original system's place for it)",
      },
    ]);
  });

  it("warns about unknown keys, naming the closest known key and its line", () => {
    const { config, warnings } = collect(
      "framework:\n  execution:\n    exection_method: docker\n  redis:\n    prefx: x\n    zzzzzzzzzzzz: 1\nexecution: {}\nproject_name: demo\n",
    );
    expect(config.execution.execution_method).toBe("local");
    expect(warnings.map((w) => [w.path, w.message, w.line])).toEqual([
      ["execution", 'unknown key (ignored): pyfleet reads this section under "framework:"', 7],
      ["project_name", 'unknown key (ignored); the closest known key here is "framework"', 8],
      ["framework.execution.exection_method", 'unknown key (ignored); did you mean "execution_method"?', 3],
      ["framework.redis.prefx", 'unknown key (ignored); did you mean "prefix"?', 5],
      ["framework.redis.zzzzzzzzzzzz", 'unknown key (ignored); the closest known key here is "url"', 6],
    ]);
  });

  it("accepts any rule id under analysis.rules (ids belong to the analyzer)", () => {
    const { config, warnings } = collect("framework:\n  analysis:\n    rules: { network: warn, eval: allow }\n");
    expect(config.analysis.rules).toEqual({ network: "warn", eval: "allow" });
    expect(warnings).toEqual([]);
  });

  it("reads PYFLEET_CONFIG when no file is given, relative to cwd", () => {
    writeFileSync(join(dir, "site.yml"), "framework:\n  python_executor:\n    max_generation_retries: 7\n");
    const config = loadConfig({ env: { PYFLEET_CONFIG: "site.yml" }, cwd: dir });
    expect(config.python_executor.max_generation_retries).toBe(7);
    expect(resolveConfigPath({ env: {}, cwd: dir })).toBe(join(dir, "config.yml"));
  });

  it("throws CONFIG_NOT_FOUND naming a missing or unreadable file", () => {
    const missing = join(dir, "nope.yml");
    const err = captureError(() => loadConfig({ file: missing, env: {} }));
    expect(err.code).toBe("CONFIG_NOT_FOUND");
    expect(err.category).toBe("configuration");
    expect(err.message).toContain(missing);
    const folder = captureError(() => loadConfig({ file: dir, env: {} }));
    expect(folder.code).toBe("CONFIG_NOT_FOUND");
    expect(folder.message).toContain(`cannot read config file ${dir}: EISDIR`);
  });

  it("reports every problem at once (cross-key rules too), sorted by line, in the message and in issues", () => {
    const err = captureError(() =>
      loadConfigFromString(
        "framework:\n  redis:\n    url: http://x\n  execution:\n    execution_method: kontainer\n    container: { pool_min_idle: 5, pool_max_size: 2 }\n  queues:\n    generate: { concurrency: 0 }\n",
        { env: {}, source: "site.yml" },
      ),
    );
    expect(err.code).toBe("CONFIG_INVALID");
    expect(err.issues?.map((i) => `${(i as ConfigIssue).line} ${i.path}`)).toEqual([
      "3 framework.redis.url",
      "5 framework.execution.execution_method",
      "6 framework.execution.container.pool_min_idle",
      "8 framework.queues.generate.concurrency",
    ]);
    expect(err.message).toContain("invalid config site.yml: 4 problems");
    expect(err.message).toContain(
      'framework.execution.execution_method: "kontainer" is not one of container | local | docker (line 5)',
    );
  });
});

describe("${VAR} substitution", () => {
  const TEXT = `
framework:
  execution:
    execution_method: \${METHOD:-container}
    container:
      jupyter_host: \${JHOST}
      jupyter_port: \${JPORT:-8890}
      use_https: \${HTTPS:-false}
    local:
      env_allowlist: [PATH, "\${EXTRA:-HOME}"]
  redis:
    url: redis://\${RHOST:-127.0.0.1}:6379/0
    prefix: \${PREFIX:-pf}
  artifacts:
    root: "$\${literal}"
  models:
    python_code_generator:
      model: \${MODEL}
`;

  it("uses the defaults when variables are unset or empty, and coerces numbers and booleans", () => {
    const { config } = collect(TEXT, { JHOST: "jh", MODEL: "m1", METHOD: "" });
    expect(config.execution.execution_method).toBe("container");
    expect(config.execution.container.jupyter_host).toBe("jh");
    expect(config.execution.container.jupyter_port).toBe(8890);
    expect(config.execution.container.use_https).toBe(false);
    expect(config.execution.local.env_allowlist).toEqual(["PATH", "HOME"]);
    expect(config.redis.url).toBe("redis://127.0.0.1:6379/0");
    expect(config.artifacts.root).toBe("${literal}");
    expect(config.models.python_code_generator.model).toBe("m1");
  });

  it("takes values from the environment, anywhere in a string or list", () => {
    const env = {
      METHOD: "docker",
      JHOST: "kernels.example",
      JPORT: "9000",
      HTTPS: "true",
      EXTRA: "TZ",
      RHOST: "10.1.2.3",
      PREFIX: "{pf}",
      MODEL: "qwen: 7b # not a comment",
    };
    const { config } = collect(TEXT, env);
    expect(config.execution.execution_method).toBe("docker");
    expect(config.execution.container.jupyter_port).toBe(9000);
    expect(config.execution.container.use_https).toBe(true);
    expect(config.execution.local.env_allowlist).toEqual(["PATH", "TZ"]);
    expect(config.redis).toEqual({ url: "redis://10.1.2.3:6379/0", prefix: "{pf}" });
    expect(config.models.python_code_generator.model).toBe("qwen: 7b # not a comment");
  });

  it("resolves the env defaults of keys the file omits, like the committed config.yml does", () => {
    const { config } = collect("", { REDIS_URL: "rediss://:pw@redis.internal:6380", PYFLEET_EXECUTION_METHOD: "docker" });
    expect(config.redis.url).toBe("rediss://:pw@redis.internal:6380");
    expect(config.execution.execution_method).toBe("docker");
  });

  it("names the variable when an env-supplied default is invalid", () => {
    const err = captureError(() => loadConfigFromString("", { env: { PYFLEET_EXECUTION_METHOD: "kontainer" } }));
    expect(err.issues?.map((i) => `${i.path}: ${i.message}`)).toEqual([
      'framework.execution.execution_method: "kontainer" is not one of container | local | docker (the default from $PYFLEET_EXECUTION_METHOD)',
    ]);
  });

  it("keeps ENV_DEFAULTS and the committed config.yml in step", () => {
    const text = readFileSync(COMMITTED, "utf8");
    for (const [key, [variable, fallback]] of Object.entries(ENV_DEFAULTS)) {
      const leaf = key.split(".").at(-1);
      expect(text, key).toMatch(new RegExp(`\\b${leaf}: \\$\\{${variable}:-${escapeRe(fallback)}\\}`));
    }
  });

  it("reports unset variables without a default, one issue per reference", () => {
    const err = captureError(() => loadConfigFromString(TEXT, { env: {} }));
    expect(err.issues?.map((i) => `${i.path}: ${i.message}`)).toEqual([
      "framework.execution.container.jupyter_host: environment variable JHOST is not set (write ${JHOST:-default} to give a default)",
      "framework.models.python_code_generator.model: environment variable MODEL is not set (write ${MODEL:-default} to give a default)",
    ]);
  });
});

function captureError(fn: () => unknown): PyfleetError {
  try {
    fn();
  } catch (err) {
    if (err instanceof PyfleetError) return err;
    throw err;
  }
  throw new Error("expected a PyfleetError");
}

function escapeRe(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

describe("policy warnings", () => {
  const policy = (writeApproval: boolean, approval: string, writesEnabled = true) => `
framework:
  execution:
    modes:
      write_access: { kernel_name: python3-epics-write, allows_writes: true, requires_approval: ${writeApproval} }
  approval:
${approval}
  control_system:
    writes_enabled: ${writesEnabled}
`;

  it("warns when write runs would never be sent for approval while writes are enabled, naming the fix", () => {
    const { warnings } = collect(policy(false, "    global_mode: disabled"));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ path: "framework.execution.modes.write_access.requires_approval", line: 5 });
    expect(warnings[0]?.message).toContain("approval.global_mode is disabled");
    expect(warnings[0]?.message).toContain("Set it to true");
    const capabilityOff = collect(policy(false, "    capabilities: { python_execution: { enabled: false } }")).warnings;
    expect(capabilityOff[0]?.message).toContain("python_execution.enabled is false");
    const modeOff = collect(policy(false, "    capabilities: { python_execution: { mode: disabled } }")).warnings;
    expect(modeOff[0]?.message).toContain("python_execution.mode is disabled");
  });

  it("stays quiet when write runs are always approved or writes are off", () => {
    for (const text of [
      policy(true, "    global_mode: disabled"),
      policy(false, "    global_mode: all_capabilities"),
      policy(false, "    capabilities: { python_execution: { mode: epics_writes } }"),
      policy(false, "    capabilities: { python_execution: { mode: all_code } }"),
      policy(false, "    global_mode: disabled", false),
    ]) {
      expect(collect(text).warnings, text).toEqual([]);
    }
  });
});
