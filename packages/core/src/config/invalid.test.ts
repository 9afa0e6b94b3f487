// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these tests are about literal ${VAR} text in YAML
import { describe, expect, it } from "vitest";
import { PyfleetError } from "../errors.js";
import { loadConfigFromString } from "./load.js";

/** Each config holds exactly one problem; the test asserts the whole list of issues. */
const CASES: Array<{ name: string; yaml: string; env?: Record<string, string>; issue: string }> = [
  {
    name: "unknown execution method",
    yaml: "execution:\n  execution_method: kontainer",
    issue: 'framework.execution.execution_method: "kontainer" is not one of container | local | docker',
  },
  {
    name: "unknown global approval mode",
    yaml: "approval:\n  global_mode: sometimes",
    issue: 'framework.approval.global_mode: "sometimes" is not one of disabled | selective | all_capabilities',
  },
  {
    name: "unknown python_execution approval mode",
    yaml: "approval:\n  capabilities:\n    python_execution: { mode: writes_only }",
    issue:
      'framework.approval.capabilities.python_execution.mode: "writes_only" is not one of disabled | all_code | epics_writes | control_writes',
  },
  {
    name: "negative retry budget",
    yaml: "python_executor:\n  max_generation_retries: -1",
    issue: "framework.python_executor.max_generation_retries: -1 is below the minimum of 0",
  },
  {
    name: "fractional timeout",
    yaml: "python_executor:\n  execution_timeout_seconds: 1.5",
    issue: "framework.python_executor.execution_timeout_seconds: 1.5 is not an integer",
  },
  {
    name: "port out of range",
    yaml: "execution:\n  container:\n    jupyter_port: 70000",
    issue: "framework.execution.container.jupyter_port: 70000 is above the maximum of 65535",
  },
  {
    name: "substituted port that is not a number",
    yaml: "execution:\n  container:\n    jupyter_port: ${JUPYTER_PORT:-8888}",
    env: { JUPYTER_PORT: "eighty" },
    issue: 'framework.execution.container.jupyter_port: "eighty" is not a number',
  },
  {
    name: "boolean spelled as a word that is not one",
    yaml: "execution:\n  modes:\n    write_access: { requires_approval: maybe }",
    issue: 'framework.execution.modes.write_access.requires_approval: "maybe" is not true or false',
  },
  {
    name: "redis url with the wrong scheme",
    yaml: "redis:\n  url: http://127.0.0.1:6379",
    issue: 'framework.redis.url: "http://127.0.0.1:6379" is not a redis://… or rediss://… URL',
  },
  {
    name: "key prefix with a space",
    yaml: "redis:\n  prefix: my fleet",
    issue:
      'framework.redis.prefix: "my fleet" is not a key prefix (1-64 of letters, digits, _ . : - and { } for a Redis Cluster hash tag)',
  },
  {
    name: "unknown checkpointer",
    yaml: "checkpointer:\n  type: postgres",
    issue: 'framework.checkpointer.type: "postgres" is not one of auto | redis | redis-stack',
  },
  {
    name: "unknown rule level",
    yaml: "analysis:\n  rules: { network: forbid }",
    issue: 'framework.analysis.rules.network: "forbid" is not one of block | warn | allow',
  },
  {
    name: "token hash that is not a sha256",
    yaml: "approver:\n  tokens: [{ sha256: abc123, identity: alice, roles: [approver] }]",
    issue: 'framework.approver.tokens[0].sha256: "abc123" is not a sha256 hash (64 lowercase hex characters) of the token',
  },
  {
    name: "unknown approver role",
    yaml: `approver:\n  tokens: [{ sha256: ${"a".repeat(64)}, identity: alice, roles: [approver, root] }]`,
    issue: 'framework.approver.tokens[0].roles[1]: "root" is not one of viewer | approver | admin',
  },
  {
    name: "token without identity",
    yaml: `producer:\n  tokens: [{ sha256: ${"b".repeat(64)} }]`,
    issue: "framework.producer.tokens[0].identity: is required",
  },
  {
    name: "zero required approvals",
    yaml: "approver:\n  required_approvals: { write_access: 0 }",
    issue: "framework.approver.required_approvals.write_access: 0 is below the minimum of 1",
  },
  {
    name: "zero concurrency",
    yaml: "queues:\n  generate: { concurrency: 0 }",
    issue: "framework.queues.generate.concurrency: 0 is below the minimum of 1",
  },
  {
    name: "temperature too high",
    yaml: "models:\n  python_code_generator:\n    temperature: 3",
    issue: "framework.models.python_code_generator.temperature: 3 is above the maximum of 2",
  },
  {
    name: "model endpoint with the wrong scheme",
    yaml: "models:\n  python_code_generator:\n    base_url: ftp://models.local/v1",
    issue:
      'framework.models.python_code_generator.base_url: "ftp://models.local/v1" is not a http://… or https://… URL (or empty)',
  },
  {
    name: "a secret written into the file",
    yaml: "models:\n  python_code_generator:\n    api_key: sk-live-123",
    issue:
      'framework.models.python_code_generator.api_key: secrets are not read from the config file: put the value in an environment variable and name that variable in "api_key_env"',
  },
  {
    name: "secret env var name that is not a name",
    yaml: "execution:\n  container:\n    jupyter_token_env: my-token",
    issue:
      'framework.execution.container.jupyter_token_env: "my-token" is not an environment variable name (letters, digits and _, not starting with a digit)',
  },
  {
    name: "unset variable without a default",
    yaml: "artifacts:\n  root: ${ARTIFACT_ROOT}/runs",
    issue:
      "framework.artifacts.root: environment variable ARTIFACT_ROOT is not set (write ${ARTIFACT_ROOT:-default} to give a default)",
  },
  {
    name: "malformed reference",
    yaml: 'artifacts:\n  root: "${1ROOT}"',
    issue: 'framework.artifacts.root: "${1ROOT}" is not a reference; write ${NAME} or ${NAME:-default}',
  },
  {
    name: "read-only mode that allows writes",
    yaml: "execution:\n  modes:\n    read_only: { allows_writes: true }",
    issue: "framework.execution.modes.read_only.allows_writes: true is not allowed: read-only runs never write",
  },
  {
    name: "more idle kernels than the pool holds",
    yaml: "execution:\n  container: { pool_min_idle: 5, pool_max_size: 2 }",
    issue: "framework.execution.container.pool_min_idle: 5 exceeds pool_max_size (2)",
  },
  {
    name: "producer and approver on the same port",
    yaml: "approver_http:\n  port: 8080",
    issue: "framework.approver_http.port: 8080 is already used by producer.port on 127.0.0.1",
  },
  {
    name: "section that is not a mapping",
    yaml: "queues: 5",
    issue: "framework.queues: 5 is not a mapping",
  },
  {
    name: "env allow-list entry that is not a variable name",
    yaml: "execution:\n  local:\n    env_allowlist: [PATH, not-a-name]",
    issue: 'framework.execution.local.env_allowlist[1]: "not-a-name" is not an environment variable name',
  },
  {
    name: "docker user with a space",
    yaml: 'docker:\n  user: "nobody user"',
    issue: 'framework.docker.user: "nobody user" is not a user ("uid:gid", "uid" or a user name)',
  },
  {
    name: "default method that is not allowed",
    yaml: "execution:\n  execution_method: local\n  allowed_methods: [container, docker]",
    issue: 'framework.execution.execution_method: "local" is not among execution.allowed_methods (container, docker)',
  },
  {
    name: "allowed method that does not exist",
    yaml: "execution:\n  allowed_methods: [container, gpu]",
    issue: 'framework.execution.allowed_methods[1]: "gpu" is not one of container | local | docker',
  },
];

describe("invalid configs", () => {
  it.each(CASES)("$name", ({ yaml, env, issue }) => {
    const text = `framework:\n${yaml.replace(/^/gm, "  ")}\n`;
    let caught: unknown;
    try {
      loadConfigFromString(text, { env: env ?? {}, onWarning: () => {} });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(PyfleetError);
    const err = caught as PyfleetError;
    expect(err.code).toBe("CONFIG_INVALID");
    expect(err.issues?.map((i) => `${i.path}: ${i.message}`)).toEqual([issue]);
    expect(err.message).toContain(issue);
  });

  it("reports a YAML syntax error with its line", () => {
    let caught: PyfleetError | undefined;
    try {
      loadConfigFromString("framework:\n  redis: { url: [\n", { env: {} });
    } catch (err) {
      caught = err as PyfleetError;
    }
    expect(caught?.code).toBe("CONFIG_INVALID");
    expect(caught?.issues?.[0]).toMatchObject({ path: "(yaml)", line: 3 });
    expect(caught?.message).toContain("(yaml): ");
  });

  it("reports a framework key that is not a mapping", () => {
    expect(() => loadConfigFromString("framework: [1, 2]\n", { env: {} })).toThrow(
      "framework: [1,2] is not a mapping",
    );
  });
});
