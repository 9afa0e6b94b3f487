import { describe, expect, it } from "vitest";
import { describeEndpoint, dockerClient, dockerError } from "./client.js";

const ctx = { endpoint: "unix:///run/x.sock", image: "img:1" };

describe("dockerError", () => {
  it("maps an unreachable engine to BACKEND_UNAVAILABLE naming the start command", () => {
    for (const code of ["ECONNREFUSED", "ENOENT", "EACCES"]) {
      const e = dockerError(Object.assign(new Error("connect"), { code }), "ping", ctx);
      expect(e.code).toBe("BACKEND_UNAVAILABLE");
      expect(e.retryable).toBe(true);
      expect(e.message).toContain("bash scripts/dockerd.sh start");
    }
  });

  it("maps a 404 on create or image inspect to IMAGE_MISSING, other statuses to BACKEND_UNAVAILABLE", () => {
    const notFound = Object.assign(new Error("(HTTP code 404) no such image"), { statusCode: 404 });
    const missing = dockerError(notFound, "create container", ctx);
    expect(missing.code).toBe("IMAGE_MISSING");
    expect(missing.category).toBe("configuration");
    expect(missing.message).toContain("img:1");
    expect(dockerError(notFound, "inspect", ctx).code).toBe("BACKEND_UNAVAILABLE");
    const busy = dockerError(Object.assign(new Error("boom"), { statusCode: 500 }), "start", ctx);
    expect(busy.code).toBe("BACKEND_UNAVAILABLE");
    expect(busy.details).toMatchObject({ statusCode: 500, operation: "start" });
  });
});

/** The connection settings dockerode's modem keeps (not in its type definitions). */
const modemOf = (d: ReturnType<typeof dockerClient>) => d.modem as unknown as { socketPath?: string; host?: string; port?: string | number };

describe("dockerClient", () => {
  it("lets DOCKER_HOST win over the configured socket and refuses unknown schemes", () => {
    expect(modemOf(dockerClient({ socket: "/a.sock", dockerHost: "unix:///b.sock" })).socketPath).toBe("/b.sock");
    expect(modemOf(dockerClient({ socket: "/a.sock" })).socketPath).toBe("/a.sock");
    const tcp = modemOf(dockerClient({ dockerHost: "tcp://10.0.0.5:2375" }));
    expect([tcp.host, Number(tcp.port)]).toEqual(["10.0.0.5", 2375]);
    expect(() => dockerClient({ dockerHost: "ssh://host" })).toThrow(/not unix/);
    expect(describeEndpoint({ socket: "/a.sock" })).toBe("unix:///a.sock");
  });
});
