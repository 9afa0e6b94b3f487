import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type JupyterFixture, startJupyterFixture } from "./jupyter-fixture.js";

let jupyter: JupyterFixture;
beforeAll(async () => {
  jupyter = await startJupyterFixture({ env: { OPENAI_API_KEY: "sk-fixture-secret" } });
});
afterAll(async () => {
  await jupyter?.close();
});

async function api(path: string, init: RequestInit = {}) {
  return fetch(`${jupyter.baseUrl}${path}`, {
    ...init,
    headers: { Authorization: `token ${jupyter.token}`, "Content-Type": "application/json" },
  });
}

/** Runs code on a fresh kernel over the websocket and returns the text/plain of the result. */
async function executeOnce(kernelName: string, code: string): Promise<string> {
  const res = await api("api/kernels", { method: "POST", body: JSON.stringify({ name: kernelName }) });
  expect(res.status).toBe(201);
  const { id } = (await res.json()) as { id: string };
  const { default: WebSocket } = await import("ws");
  const ws = new WebSocket(`${jupyter.wsUrl}api/kernels/${id}/channels?token=${jupyter.token}`);
  try {
    await new Promise((resolve, reject) => {
      ws.once("open", resolve);
      ws.once("error", reject);
    });
    const msgId = `m-${Date.now()}`;
    const result = new Promise<string>((resolve, reject) => {
      ws.on("message", (raw) => {
        const msg = JSON.parse(String(raw)) as { msg_type: string; parent_header: { msg_id?: string }; content: Record<string, unknown> };
        if (msg.parent_header.msg_id !== msgId) return;
        if (msg.msg_type === "execute_result") resolve(String((msg.content.data as Record<string, string>)["text/plain"]));
        if (msg.msg_type === "error") reject(new Error(String(msg.content.evalue)));
      });
    });
    ws.send(
      JSON.stringify({
        header: { msg_id: msgId, msg_type: "execute_request", username: "t", session: "s", version: "5.3", date: new Date().toISOString() },
        parent_header: {},
        metadata: {},
        channel: "shell",
        content: { code, silent: false, store_history: false, user_expressions: {}, allow_stdin: false },
      }),
    );
    return await result;
  } finally {
    ws.close();
    await api(`api/kernels/${id}`, { method: "DELETE" });
  }
}

describe("startJupyterFixture", () => {
  it("serves the project's two kernelspecs behind a token", async () => {
    const specs = (await (await api("api/kernelspecs")).json()) as { kernelspecs: Record<string, unknown> };
    expect(Object.keys(specs.kernelspecs)).toEqual(expect.arrayContaining(["python3-epics-readonly", "python3-epics-write"]));
    const anonymous = await fetch(`${jupyter.baseUrl}api/kernels`);
    expect(anonymous.status).toBe(403);
  });

  it.each(["python3-epics-readonly", "python3-epics-write"])("executes 1+1 on %s", async (name) => {
    expect(await executeOnce(name, "1+1")).toBe("2");
  });

  it("the read-only kernel refuses epics.caput from its startup guard; no kernel sees the server's secrets", async () => {
    await expect(executeOnce("python3-epics-readonly", "import epics as e\ne.caput('X:Y', 1)")).rejects.toThrow(/read_only/);
    expect(await executeOnce("python3-epics-write", "import os\n'OPENAI_API_KEY' in os.environ")).toBe("False");
  });
});
