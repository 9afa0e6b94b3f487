/**
 * Twin runs for the differential tests of the fast steps: the same request, script and fakes on
 * two savers, one side stepped by the fast path (or a chosen mix), the other by LangGraph alone;
 * after every call both sides' results, the writes each stored and the thread's latest
 * checkpoint are compared in their normal form (see differential.ts).
 */
import type { BaseCheckpointSaver } from "@langchain/langgraph-checkpoint";
import type { Fakes } from "@pyfleet/testing";
import { makeDecision, makeRequest } from "@pyfleet/testing";
import { expect } from "vitest";
import { createPipeline } from "../pipeline.js";
import type { NodeName, Pipeline, PipelineBudgets, RunRef, StepResult } from "../pipeline-types.js";
import { graphConfig } from "../run-ref.js";
import { Normaliser, RecordingSaver } from "./differential.js";
import { fakeDeps } from "./fakes.js";

/** A scenario: the request's code (none: generate), the generator's script, budgets. */
export interface TwinScenario {
  code?: string;
  script?: Array<string | Error>;
  budgets?: Partial<PipelineBudgets>;
}

/** One side: a recording saver with a fast pipeline and a LangGraph-only pipeline over the same fakes. */
export interface TwinSide {
  saver: RecordingSaver;
  norm: Normaliser;
  fakes: Fakes;
  fast: Pipeline;
  langgraph: Pipeline;
}

function side(inner: BaseCheckpointSaver, scenario: TwinScenario): TwinSide {
  const saver = new RecordingSaver(inner);
  const { deps, fakes } = fakeDeps({ ...(scenario.script ? { script: [...scenario.script] } : {}), ...(scenario.budgets ? { budgets: scenario.budgets } : {}) });
  return {
    saver,
    norm: new Normaliser(),
    fakes,
    fast: createPipeline(deps, saver),
    langgraph: createPipeline(deps, saver, { fastSteps: false }),
  };
}

/** Which engine steps the tested side: always fast, or per call. */
export type EngineChoice = (call: number) => "fast" | "langgraph";

type Outcome = { ok: StepResult } | { error: { name: string; message: string; code?: unknown } };

async function outcomeOf(call: () => Promise<StepResult>): Promise<Outcome> {
  try {
    return { ok: await call() };
  } catch (err) {
    const e = err as { name: string; message: string; code?: unknown };
    return { error: { name: e.name, message: e.message, code: e.code } };
  }
}

/** The tested side (`tested`) and the LangGraph side (`reference`) of one run, compared call by call. */
export class Twins {
  readonly tested: TwinSide;
  readonly reference: TwinSide;
  readonly ref: RunRef = { threadId: "twin-run", checkpointNs: "" };
  /** The engine of every checkpoint the tested side stored (its first by `startRun`), in order. */
  readonly engines: Array<"langgraph" | "fast"> = [];
  private calls = 0;

  constructor(
    savers: [BaseCheckpointSaver, BaseCheckpointSaver],
    readonly scenario: TwinScenario,
    private readonly choose: EngineChoice = () => "fast",
  ) {
    this.tested = side(savers[0], scenario);
    this.reference = side(savers[1], scenario);
  }

  async start(): Promise<void> {
    const request = makeRequest(this.scenario.code !== undefined ? { code: this.scenario.code } : {});
    await this.tested[this.choose(this.calls++)].startRun({ runId: this.ref.threadId, request });
    await this.reference.langgraph.startRun({ runId: this.ref.threadId, request });
    await this.compare();
  }

  /** One step on both sides (`expected` as a queue job would give it); both must do and store the same. */
  async step(expected?: NodeName): Promise<Outcome> {
    const engine = this.choose(this.calls++);
    const opts = expected ? { expected } : {};
    const tested = await outcomeOf(() => this.tested[engine].step(this.ref, opts));
    const reference = await outcomeOf(() => this.reference.langgraph.step(this.ref, opts));
    expect(tested).toEqual(reference);
    await this.compare();
    return reference;
  }

  /** Resumes both sides with an approving decision for `result`'s interrupt. */
  async resume(result: StepResult): Promise<Outcome> {
    const decision = makeDecision(result.interrupt!);
    const tested = await outcomeOf(() => this.tested.fast.resume(this.ref, decision));
    const reference = await outcomeOf(() => this.reference.langgraph.resume(this.ref, decision));
    expect(tested).toEqual(reference);
    await this.compare();
    return reference;
  }

  /** Steps until the run ends (resuming parked runs), giving each step its `expected` node; returns the nodes that ran. */
  async drive(limit = 40): Promise<NodeName[]> {
    const ran: NodeName[] = [];
    let next: NodeName | null = (await this.reference.langgraph.getRun(this.ref))?.next ?? null;
    for (let i = 0; i < limit && next !== null; i++) {
      const out = await this.step(next);
      if (!("ok" in out)) throw new Error(`step ${next} failed: ${out.error.message}`);
      if (out.ok.ran) ran.push(out.ok.ran);
      next = out.ok.next;
      if (out.ok.interrupt) {
        const resumed = await this.resume(out.ok);
        if (!("ok" in resumed)) throw new Error(`resume failed: ${resumed.error.message}`);
        next = resumed.ok.next;
      }
    }
    return ran;
  }

  /** Both sides' recorded writes since the last comparison and their latest checkpoints, in normal form, must be equal. */
  async compare(): Promise<void> {
    const ops = [this.tested, this.reference].map((s) => s.saver.take());
    for (const op of ops[0] ?? []) if (op.op === "put") this.engines.push(op.engine);
    const [tested, reference] = [this.tested, this.reference].map((s, i) => (ops[i] ?? []).map((op) => s.norm.op(op)));
    expect(tested).toEqual(reference);
    const [latestTested, latestReference] = await Promise.all(
      [this.tested, this.reference].map(async (s) => s.norm.tuple(await s.saver.getTuple(graphConfig(this.ref)))),
    );
    expect(latestTested).toEqual(latestReference);
    expect(latestReference).toBeDefined();
  }
}
