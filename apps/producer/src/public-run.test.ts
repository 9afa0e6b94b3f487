import type { RunDetails } from "@pyfleet/fleet";
import { PublicRunSchema } from "@pyfleet/core";
import { describe, expect, it } from "vitest";
import { publicRun } from "./run-view.js";

const details: RunDetails = {
  runId: "r1",
  threadId: "t1",
  checkpointNs: "",
  status: "completed",
  stage: null,
  mode: "read_only",
  attempts: 1,
  requester: "me",
  task: "t",
  createdAt: "2026-01-01T00:00:00.000Z",
  updatedAt: "2026-01-01T00:00:01.000Z",
  finishedAt: "2026-01-01T00:00:01.000Z",
  approvalId: null,
  resultSummary: { resultKeys: ["a"], figureCount: 1, notebookPath: "/f/notebook.ipynb", notebookLink: null },
  error: null,
  final: {
    status: "completed",
    result: {
      results: { a: 1 },
      stdout: "",
      stderr: "",
      execution_time: 0.1,
      folder_path: "/f",
      notebook_path: "/f/notebook.ipynb",
      notebook_link: null,
      figure_paths: ["/f/figures/figure_01.png"],
      recorded_writes: [],
    },
    code: "results = {'a': 1}",
    attempts: 1,
    reason: null,
  },
  folderPath: "/f",
  approval: null,
  attemptList: [],
  errorChain: [],
  request: null,
};

// The view's TypeScript type is core's PublicRunSchema's output (producer, client and console share
// it); what is left to check is that the value publicRun builds parses with it, as /openapi.json says.
describe("PublicRunSchema (the run view in /openapi.json)", () => {
  it("accepts a real view and refuses a wrong type", () => {
    const view = publicRun(details);
    expect(PublicRunSchema.parse(view)).toEqual(view);
    expect(PublicRunSchema.safeParse({ ...view, notebookUrl: 3 }).success).toBe(false);
  });

  it("shows files as paths inside the run folder with their URLs, never the server's folder", () => {
    const view = publicRun(details);
    expect(JSON.stringify(view)).not.toContain('"/f');
    expect(view.final?.result?.figure_urls).toEqual(["/v1/runs/r1/artifacts/figures/figure_01.png"]);
    expect(view.resultSummary?.notebook).toEqual({ path: "notebook.ipynb", url: "/v1/runs/r1/artifacts/notebook.ipynb" });
  });
});
