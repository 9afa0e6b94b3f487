/**
 * The pipeline graph of ARCHITECTURE §1. Nodes decide their own route (`state.route`), so the
 * conditional edges are pure lookups and a node's budget check lives next to its failure.
 */
import { END, START, StateGraph } from "@langchain/langgraph";
import type { BaseCheckpointSaver } from "@langchain/langgraph-checkpoint";
import { createAnalyzeNode } from "./nodes/analyze.js";
import { installLightRunContext } from "./light-run-context.js";
import { logged } from "./nodes/context.js";
import { createApproveNode } from "./nodes/approve.js";
import { createExecuteNode } from "./nodes/execute.js";
import { createFinalizeNode } from "./nodes/finalize.js";
import { createGenerateNode } from "./nodes/generate.js";
import { createPreviewNode } from "./nodes/preview.js";
import { NODE_NAMES, type NodeName, type PipelineDeps } from "./pipeline-types.js";
import { type RunState, RunStateAnnotation } from "./state.js";

/** Where each node may go next (declared so the compiled graph knows its edges). */
const TARGETS = {
  generate: ["analyze", "generate", "finalize"],
  analyze: ["preview", "approve", "execute", "generate", "finalize"],
  preview: ["approve", "generate", "finalize"],
  approve: ["execute", "generate", "finalize"],
  execute: ["finalize", "generate"],
} as const satisfies Record<Exclude<NodeName, "finalize">, readonly NodeName[]>;

/** The node a request starts at: `analyze` when it carries its own code. */
export function firstNode(state: Pick<RunState, "request">): NodeName {
  return state.request.code !== undefined ? "analyze" : "generate";
}

function routeOf(node: NodeName) {
  return (state: RunState): NodeName => {
    if (state.route === null) throw new Error(`node ${node} finished without a route`);
    return state.route;
  };
}

/**
 * Compiles the graph with the injected checkpointer and `interruptBefore` on every node, so one
 * `invoke(null, cfg)` runs exactly one node (step mode, ARCHITECTURE §2).
 */
export function compileRunGraph(deps: PipelineDeps, checkpointer: BaseCheckpointSaver) {
  installLightRunContext();
  const graph = new StateGraph(RunStateAnnotation)
    .addNode("generate", logged(deps, "generate", createGenerateNode(deps)))
    .addNode("analyze", logged(deps, "analyze", createAnalyzeNode(deps)))
    .addNode("preview", logged(deps, "preview", createPreviewNode(deps)))
    .addNode("approve", logged(deps, "approve", createApproveNode(deps)))
    .addNode("execute", logged(deps, "execute", createExecuteNode(deps)))
    .addNode("finalize", logged(deps, "finalize", createFinalizeNode(deps)))
    .addConditionalEdges(START, firstNode, ["analyze", "generate"])
    .addConditionalEdges("generate", routeOf("generate"), [...TARGETS.generate])
    .addConditionalEdges("analyze", routeOf("analyze"), [...TARGETS.analyze])
    .addConditionalEdges("preview", routeOf("preview"), [...TARGETS.preview])
    .addConditionalEdges("approve", routeOf("approve"), [...TARGETS.approve])
    .addConditionalEdges("execute", routeOf("execute"), [...TARGETS.execute])
    .addEdge("finalize", END);
  return graph.compile({ checkpointer, interruptBefore: [...NODE_NAMES] });
}

export type RunGraph = ReturnType<typeof compileRunGraph>;
