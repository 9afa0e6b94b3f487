import { describe, expect, it } from "vitest";
import { artifactRef } from "./run-view.js";

describe("artifactRef", () => {
  it("turns a path inside the run folder into a relative path and an artifact URL", () => {
    expect(artifactRef("r1", "/srv/pyfleet/2026-12/r1_x", "/srv/pyfleet/2026-12/r1_x/attempts/01/figure 1.png")).toEqual({
      path: "attempts/01/figure 1.png",
      url: "/v1/runs/r1/artifacts/attempts/01/figure%201.png",
    });
    expect(artifactRef("r1", "/srv/f/", "notebook.ipynb")?.url).toBe("/v1/runs/r1/artifacts/notebook.ipynb");
  });

  it("drops paths outside the folder, traversals, and anything without a folder", () => {
    expect(artifactRef("r1", "/srv/f", "/etc/passwd")).toBeNull();
    expect(artifactRef("r1", "/srv/f", "/srv/f/../g/x.png")).toBeNull();
    expect(artifactRef("r1", null, "/srv/f/x.png")).toBeNull();
    expect(artifactRef("r1", "/srv/f", null)).toBeNull();
  });
});
