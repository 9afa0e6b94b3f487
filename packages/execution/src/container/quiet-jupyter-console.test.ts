import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

describe("quietJupyterConsole", () => {
  const original = console.debug;
  let seen: unknown[][];
  beforeEach(() => {
    seen = [];
    console.debug = (...args: unknown[]) => void seen.push(args);
    vi.resetModules();
  });
  afterEach(() => {
    console.debug = original;
  });

  it("drops the @jupyterlab/services websocket and kernel-state lines and passes everything else", async () => {
    const { quietJupyterConsole } = await import("./quiet-jupyter-console.js");
    quietJupyterConsole();
    quietJupyterConsole();
    console.debug("Starting WebSocket: ws://127.0.0.1:8888/api/kernels/abc");
    console.debug("Kernel: restarting (abc)");
    console.debug("our own line");
    console.debug("Starting WebSocket:", "two args are not the library's");
    expect(seen).toEqual([["our own line"], ["Starting WebSocket:", "two args are not the library's"]]);
  });
});
