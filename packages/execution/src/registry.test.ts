import { describe, expect, it } from "vitest";
import { ForkServerExecutor } from "./fork/fork-server-executor.js";
import { LocalExecutor } from "./local/local-executor.js";
import { createExecutorRegistry } from "./registry.js";

describe("createExecutorRegistry", () => {
  it("creates executors lazily, once per method (and per mode for kernels and fork servers), and names kernels per mode", async () => {
    const registry = createExecutorRegistry(
      { execution: { container: { pool_min_idle: 0, jupyter_port: 1 }, modes: { write_access: { kernel_name: "custom-write" } } } },
      { env: {} },
    );
    // the default local isolation forks a warm parent per mode: read-only and write never share one
    const local = registry.get("local", "read_only");
    expect(local).toBeInstanceOf(ForkServerExecutor);
    expect(local.method).toBe("local");
    expect(registry.get("local", "read_only")).toBe(local);
    expect(registry.get("local", "write_access")).not.toBe(local);
    const ro = registry.get("container", "read_only");
    expect(registry.get("container", "write_access")).not.toBe(ro);
    expect(registry.get("docker", "read_only").method).toBe("docker");
    expect(registry.kernelName("read_only")).toBe("python3-epics-readonly");
    expect(registry.kernelName("write_access")).toBe("custom-write");
    expect(registry.timeoutMs).toBe(600_000);
    await registry.close();
    await registry.close();
    expect(() => registry.get("local", "read_only")).toThrow(/closed/);
  });

  it("serves both modes from one interpreter-per-run executor with isolation: spawn", async () => {
    const registry = createExecutorRegistry({ execution: { local: { isolation: "spawn" } } }, { env: {} });
    const local = registry.get("local", "read_only");
    expect(local).toBeInstanceOf(LocalExecutor);
    expect(registry.get("local", "write_access")).toBe(local);
    await registry.close();
  });

  it("rejects an unknown method as a configuration error", async () => {
    const registry = createExecutorRegistry({}, { env: {} });
    expect(() => registry.get("ssh" as never, "read_only")).toThrow(expect.objectContaining({ code: "BACKEND_MISCONFIGURED" }));
    await registry.close();
  });

  it("refuses a method outside execution.allowed_methods as a policy error", async () => {
    const registry = createExecutorRegistry({ execution: { allowed_methods: ["container", "docker"] } }, { env: {} });
    expect(() => registry.get("local", "write_access")).toThrow(
      expect.objectContaining({ code: "METHOD_NOT_ALLOWED", category: "policy", message: expect.stringContaining("container, docker") }),
    );
    expect(registry.get("docker", "write_access").method).toBe("docker");
    await registry.close();
  });
});
