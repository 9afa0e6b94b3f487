import type { RunDetails } from "@pyfleet/fleet";
import { describe, expect, expectTypeOf, it } from "vitest";
import type { z } from "zod";
import { PublicRunSchema } from "./public-run-schema.js";
import { type PublicRun, publicRun } from "./run-view.js";

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

describe("PublicRunSchema (the run view in /openapi.json)", () => {
  it("has the TypeScript type of the view (each assignable to the other)", () => {
    expectTypeOf<z.output<typeof PublicRunSchema>>().toExtend<PublicRun>();
    expectTypeOf<PublicRun>().toExtend<z.output<typeof PublicRunSchema>>();
  });

  it("accepts a real view and refuses a wrong type", () => {
    const view = publicRun(details);
    expect(PublicRunSchema.parse(view)).toEqual(view);
    expect(PublicRunSchema.safeParse({ ...view, notebookUrl: 3 }).success).toBe(false);
  });
});
