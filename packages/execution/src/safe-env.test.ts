import { describe, expect, it } from "vitest";
import { buildChildEnv, isSecretName } from "./safe-env.js";

describe("buildChildEnv", () => {
  it("keeps only allow-listed names and never a secret-looking one", () => {
    const env = buildChildEnv(["PATH", "OPENAI_API_KEY", "LANG", "MISSING"], {
      PATH: "/usr/bin",
      OPENAI_API_KEY: "sk-1",
      LANG: "C.UTF-8",
      REDIS_URL: "redis://x",
    });
    expect(env).toEqual({ PATH: "/usr/bin", LANG: "C.UTF-8" });
  });

  it("adds fixed settings on top", () => {
    expect(buildChildEnv(["PATH"], { PATH: "/a" }, { MPLBACKEND: "Agg", PATH: "/b" })).toEqual({ PATH: "/b", MPLBACKEND: "Agg" });
  });

  it.each(["JUPYTER_TOKEN", "AWS_SECRET_ACCESS_KEY", "db_password", "PYFLEET_SIGNING_KEYS", "GH_AUTH"])("treats %s as a secret", (n) => {
    expect(isSecretName(n)).toBe(true);
  });
});
