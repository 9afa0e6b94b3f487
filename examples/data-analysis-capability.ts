/**
 * The original documentation's DataAnalysisCapability, in TypeScript against the fleet.
 *
 * A capability is one node of an agent's LangGraph graph. It hands archived data to the Python
 * executor service (`getRegistry().getService("python_executor")`) with a task, and stores the
 * computed statistics back in the agent state. When the generated code needs a human (e.g. it
 * writes to EPICS), the service parks the run and the capability's graph pauses with the approval
 * payload; resuming the graph with the human's answer resumes the run.
 */
import { pathToFileURL } from "node:url";
import { Annotation, type BaseCheckpointSaver, END, MemorySaver, START, StateGraph } from "@langchain/langgraph";
import { getRegistry, handleServiceWithInterrupts, type PythonServiceResult } from "@pyfleet/client";
import type { PythonExecutionRequestInput } from "@pyfleet/core";

/** Agent state of the example graph. */
export const AgentState = Annotation.Root({
  userQuery: Annotation<string>(),
  /** Archiver data: PV name → { timestamps, values }. */
  archiverData: Annotation<Record<string, { timestamps: string[]; values: number[] }>>(),
  /** Context key of the plan step (the original keys the service thread on it). */
  contextKey: Annotation<string>(),
  /** Record control-system writes instead of performing them (a rehearsal). */
  dryRun: Annotation<boolean>({ reducer: (_a, b) => b, default: () => false }),
  analysis: Annotation<PythonServiceResult["execution_result"] | null>({ reducer: (_a, b) => b, default: () => null }),
});
export type AgentStateValue = typeof AgentState.State;

/** Builds the request the capability sends to the Python executor. */
export function dataAnalysisRequest(state: AgentStateValue): PythonExecutionRequestInput {
  return {
    user_query: state.userQuery,
    task_objective: "Compute statistics (mean, min, max, std) of every archived PV and plot them over time",
    expected_results: { statistics: "dict: PV name -> {mean, min, max, std}" },
    capability_prompts: [
      "CONTEXT ACCESS DESCRIPTION: context['ARCHIVER_DATA'][pv] holds {'timestamps': [...], 'values': [...]}",
      "Store the statistics in results['statistics'] and save one figure.",
    ],
    execution_folder_name: "data_analysis",
    capability_context_data: { ARCHIVER_DATA: state.archiverData },
    ...(state.dryRun ? { dry_run: true } : {}),
  };
}

/** The capability node: runs the analysis through the service and stores the results. */
export async function dataAnalysisNode(state: AgentStateValue): Promise<Partial<AgentStateValue>> {
  const service = getRegistry().getService("python_executor");
  const config = { configurable: { thread_id: `python_service_${state.contextKey}`, checkpoint_ns: "python_executor" } };
  const result = await handleServiceWithInterrupts(service, dataAnalysisRequest(state), config, undefined, "data_analysis");
  return { analysis: result.execution_result };
}

/** The agent graph with the capability as its only node (compiled with the caller's checkpointer). */
export function buildDataAnalysisGraph(checkpointer: BaseCheckpointSaver) {
  return new StateGraph(AgentState)
    .addNode("data_analysis", dataAnalysisNode)
    .addEdge(START, "data_analysis")
    .addEdge("data_analysis", END)
    .compile({ checkpointer });
}

const NEEDS = [
  "data-analysis-capability needs a running fleet with a model:",
  "  PYFLEET_URL    the producer, e.g. http://127.0.0.1:8080 (`npx pyfleet dev` prints it)",
  "  PYFLEET_TOKEN  the producer token, when the fleet has producer.tokens",
  "  and the fleet started with OPENAI_API_KEY (plus OPENAI_BASE_URL for an OpenAI-compatible server),",
  "  because the capability asks the model to write the analysis code.",
].join("\n");

/**
 * Runs the capability once on sample archiver data against the fleet at `PYFLEET_URL` and prints
 * the statistics. Exits 2 with what it needs when `PYFLEET_URL` is unset, 1 when the run fails
 * (e.g. the fleet has no model: `LLM_CONFIG`).
 */
export async function main(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  if (!env.PYFLEET_URL) {
    console.error(NEEDS);
    return 2;
  }
  const graph = buildDataAnalysisGraph(new MemorySaver());
  const archiverData = { "SR:DCCT": { timestamps: ["t0", "t1", "t2", "t3"], values: [500, 502, 498, 500] } };
  try {
    const out = await graph.invoke(
      { userQuery: "How stable was the beam current?", archiverData, contextKey: `example-${Date.now()}` },
      { configurable: { thread_id: `data-analysis-example-${Date.now()}` } },
    );
    console.log(JSON.stringify(out.analysis?.results ?? null, null, 2));
    return 0;
  } catch (err) {
    const code = (err as { code?: string }).code;
    console.error(`data-analysis-capability: ${err instanceof Error ? err.message : String(err)}`);
    if (code === "LLM_CONFIG") console.error(NEEDS);
    return 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = await main();
