/** The step engines the pipeline tests run with: the fast steps (the default) and LangGraph for every step. */
export const STEP_ENGINES = [
  { engine: "fast steps", fastSteps: true },
  { engine: "LangGraph steps", fastSteps: false },
] as const;
