/**
 * The pipeline graph of ARCHITECTURE §1. Nodes decide their own route (`state.route`), so the
 * conditional edges are pure lookups and a node's budget check lives next to its failure.
 */
import { END, START, StateGraph } from "@langchain/langgraph";
import type { BaseCheckpointSaver } from "@langchain/langgraph-checkpoint";
import { createAnalyzeNode } from "./nodes/analyze.js";
import { installLightRunContext } from "./light-run-context.js";
import { logged, type RunNode } from "./nodes/context.js";
import { createApproveNode } from "./nodes/approve.js";
import { createExecuteNode } from "./nodes/execute.js";
import { createFinalizeNode } from "./nodes/finalize.js";
import { createGenerateNode } from "./nodes/generate.js";
import { createPreviewNode } from "./nodes/preview.js";
import { NODE_NAMES, type NodeName, type PipelineDeps } from "./pipeline-types.js";
import { type RunState, RunStateAnnotation } from "./state.js";

/** Where each node may go next (declared so the compiled graph knows its edges); `finalize` ends the run. */
export const TARGETS = {
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

/** A node's conditional edge: the route it wrote into the state. */
export function routeOf(node: NodeName) {
  return (state: RunState): NodeName => {
    if (state.route === null) throw new Error(`node ${node} finished without a route`);
    return state.route;
  };
}

/** The graph's node functions, each wrapped by {@link logged}: what the graph registers and the fast steps run. */
export function createRunNodes(deps: PipelineDeps): Record<NodeName, RunNode> {
  return {
    generate: logged(deps, "generate", createGenerateNode(deps)),
    analyze: logged(deps, "analyze", createAnalyzeNode(deps)),
    preview: logged(deps, "preview", createPreviewNode(deps)),
    approve: logged(deps, "approve", createApproveNode(deps)),
    execute: logged(deps, "execute", createExecuteNode(deps)),
    finalize: logged(deps, "finalize", createFinalizeNode(deps)),
  };
}

/**
 * Compiles the graph of `nodes` with the injected checkpointer and `interruptBefore` on every
 * node, so one `invoke(null, cfg)` runs exactly one node (step mode, ARCHITECTURE §2).
 */
export function compileRunGraph(nodes: Record<NodeName, RunNode>, checkpointer: BaseCheckpointSaver) {
  installLightRunContext();
  const graph = new StateGraph(RunStateAnnotation)
    .addNode("generate", nodes.generate)
    .addNode("analyze", nodes.analyze)
    .addNode("preview", nodes.preview)
    .addNode("approve", nodes.approve)
    .addNode("execute", nodes.execute)
    .addNode("finalize", nodes.finalize)
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
