/**
 * The original documentation's two-stage pipeline, in TypeScript against the fleet: a
 * preprocessing run cleans raw samples (drops outliers), and an analysis run receives the
 * cleaned data as context and computes statistics and a figure. Each stage is a node of the
 * caller's graph and a separate fleet run on its own service thread.
 */
import { Annotation, type BaseCheckpointSaver, END, START, StateGraph } from "@langchain/langgraph";
import { getRegistry, handleServiceWithInterrupts } from "@pyfleet/client";

export const PipelineState = Annotation.Root({
  samples: Annotation<number[]>(),
  sessionId: Annotation<string>(),
  cleaned: Annotation<number[] | null>({ reducer: (_a, b) => b, default: () => null }),
  statistics: Annotation<Record<string, unknown> | null>({ reducer: (_a, b) => b, default: () => null }),
  figures: Annotation<string[]>({ reducer: (_a, b) => b, default: () => [] }),
});
export type PipelineStateValue = typeof PipelineState.State;

/** Stage 1: drop samples more than 3 median absolute deviations from the median. */
export const PREPROCESS_CODE = `
import statistics
raw = context["RAW_DATA"]["samples"]
med = statistics.median(raw)
mad = statistics.median([abs(x - med) for x in raw]) or 1.0
cleaned = [x for x in raw if abs(x - med) <= 3 * mad]
results = {"cleaned": cleaned, "dropped": len(raw) - len(cleaned)}
`;

/** Stage 2: statistics and a histogram of the cleaned samples. */
export const ANALYSIS_CODE = `
import statistics
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
data = context["PREPROCESSED"]["cleaned"]
plt.hist(data, bins=10)
plt.title("cleaned samples")
results = {"statistics": {"n": len(data), "mean": statistics.mean(data), "stdev": statistics.stdev(data)}}
`;

async function preprocess(state: PipelineStateValue): Promise<Partial<PipelineStateValue>> {
  const service = getRegistry().getService("python_executor");
  const r = await handleServiceWithInterrupts(
    service,
    {
      user_query: "clean the beam current samples",
      task_objective: "preprocessing: remove outliers",
      expected_results: { cleaned: "list[float]", dropped: "int" },
      execution_folder_name: "preprocessing",
      capability_context_data: { RAW_DATA: { samples: state.samples } },
      code: PREPROCESS_CODE,
    },
    { configurable: { thread_id: `${state.sessionId}-preprocess` } },
  );
  return { cleaned: r.execution_result.results.cleaned as number[] };
}

async function analyze(state: PipelineStateValue): Promise<Partial<PipelineStateValue>> {
  const service = getRegistry().getService("python_executor");
  const r = await handleServiceWithInterrupts(
    service,
    {
      user_query: "analyse the cleaned samples",
      task_objective: "analysis: statistics and histogram",
      expected_results: { statistics: "dict" },
      execution_folder_name: "analysis",
      capability_context_data: { PREPROCESSED: { cleaned: state.cleaned ?? [] } },
      code: ANALYSIS_CODE,
    },
    { configurable: { thread_id: `${state.sessionId}-analysis` } },
  );
  return { statistics: r.execution_result.results.statistics as Record<string, unknown>, figures: r.execution_result.figure_paths };
}

/** preprocess → analyze, compiled with the caller's checkpointer. */
export function buildTwoStagePipeline(checkpointer: BaseCheckpointSaver) {
  return new StateGraph(PipelineState)
    .addNode("preprocess", preprocess)
    .addNode("analyze", analyze)
    .addEdge(START, "preprocess")
    .addEdge("preprocess", "analyze")
    .addEdge("analyze", END)
    .compile({ checkpointer });
}
