/**
 * One superstep of the run graph done on a checkpoint tuple, the way LangGraph's Pregel loop does
 * it (`@langchain/langgraph` 1.7 `pregel/loop.js` `_first` / `tick` / `_putCheckpoint` and
 * `pregel/algo.js` `_prepareSingleTask` / `_applyWrites`), for the one case the pipeline's plain
 * steps are: the latest checkpoint has no pending writes, no pending sends, and exactly one node
 * triggered, which pulls the state and writes back. Anything else is not planned (LangGraph runs
 * it). The channels themselves are LangGraph's (the compiled graph's specs), so reducers,
 * defaults and ephemeral branch channels behave as they do inside LangGraph.
 */
import { type BaseChannel, BinaryOperatorAggregate, EphemeralValue, Topic } from "@langchain/langgraph/channels";
import {
  type ChannelVersions,
  type Checkpoint,
  type CheckpointMetadata,
  type CheckpointTuple,
  type PendingWrite,
  uuid5,
  uuid6,
} from "@langchain/langgraph-checkpoint";

/** LangGraph's names (`constants.js`), which it does not export. */
const PULL = "__pregel_pull";
const INTERRUPT = "__interrupt__";
const TASKS = "__pregel_tasks";
const START = "__start__";
/** What a task that wrote nothing stores, so its writes still mark it done. */
export const NO_WRITES = "__no_writes__";
/** The pending write of a task whose node threw. */
export const ERROR_WRITE = "__error__";
/** The checkpoint format LangGraph 1.7 writes (`createCheckpoint`). */
const CHECKPOINT_FORMAT = 4;

/** What of a compiled graph a step needs: its channels, in the graph's order, and each node's triggers. */
export interface StepGraphShape {
  channels: Readonly<Record<string, BaseChannel>>;
  triggers: Readonly<Record<string, readonly string[]>>;
  /** The state's keys: what a node reads, and the only channels its update writes. */
  stateKeys: readonly string[];
  /** The same keys, for membership tests on every write of a step. */
  stateKeySet: ReadonlySet<string>;
}

/**
 * The shape of `graph` when every channel is one this module reproduces (reduced state values,
 * ephemeral branch channels, the sends topic); undefined otherwise.
 */
export function stepGraphShape(
  graph: { channels: unknown; nodes: Record<string, { triggers: string[] }> },
  stateKeys: readonly string[],
): StepGraphShape | undefined {
  const channels = graph.channels as Record<string, unknown>;
  for (const [name, channel] of Object.entries(channels)) {
    const known =
      channel instanceof BinaryOperatorAggregate || channel instanceof EphemeralValue || (name === TASKS && channel instanceof Topic);
    if (!known) return undefined;
  }
  const triggers = Object.fromEntries(Object.entries(graph.nodes).map(([name, node]) => [name, [...node.triggers]]));
  return { channels: channels as Record<string, BaseChannel>, triggers, stateKeys, stateKeySet: new Set(stateKeys) };
}

/** A step that can run outside LangGraph: the node the checkpoint waits for, its input and its task. */
export interface StepPlan {
  tuple: CheckpointTuple;
  node: string;
  trigger: string;
  /** The superstep the node runs in (the checkpoint's step + 1). */
  step: number;
  /** LangGraph's id of the node's task on this checkpoint: its writes are stored under it. */
  taskId: string;
  /** LangGraph's task path string (`taskPathStr`), stored with the writes. */
  taskPath: string;
  /** The state the node reads. */
  state: Record<string, unknown>;
  channels: Record<string, BaseChannel>;
}

function numbersOnly(versions: ChannelVersions | undefined): boolean {
  if (versions === undefined) return true;
  for (const key in versions) if (typeof versions[key] !== "number") return false;
  return true;
}

/** Whether every value, version and seen version of `checkpoint` is one the plan understands. */
function isPlainCheckpoint(shape: StepGraphShape, checkpoint: Checkpoint): boolean {
  if (checkpoint.v !== CHECKPOINT_FORMAT || !numbersOnly(checkpoint.channel_versions)) return false;
  for (const key in checkpoint.channel_values) if (!(key in shape.channels)) return false;
  for (const key in checkpoint.channel_versions) if (!(key in shape.channels)) return false;
  for (const node in checkpoint.versions_seen) if (!numbersOnly(checkpoint.versions_seen[node])) return false;
  return true;
}

function channelsOf(shape: StepGraphShape, checkpoint: Checkpoint): Record<string, BaseChannel> {
  const channels: Record<string, BaseChannel> = {};
  for (const key in shape.channels) channels[key] = (shape.channels[key] as BaseChannel).fromCheckpoint(checkpoint.channel_values[key]);
  return channels;
}

/**
 * The nodes `checkpoint` triggers, with the trigger (LangGraph's PULL tasks): a trigger channel
 * that holds a value and a version the node has not seen. Versions are numbers here (0 = none).
 */
function triggeredNodes(shape: StepGraphShape, checkpoint: Checkpoint, channels: Record<string, BaseChannel>) {
  const found: Array<{ node: string; trigger: string }> = [];
  for (const node in shape.triggers) {
    const seen = checkpoint.versions_seen[node] ?? {};
    const trigger = shape.triggers[node]?.find(
      (chan) => channels[chan]?.isAvailable() && ((checkpoint.channel_versions[chan] as number | undefined) ?? 0) > ((seen[chan] as number | undefined) ?? 0),
    );
    if (trigger !== undefined) found.push({ node, trigger });
  }
  return found;
}

function stateOf(shape: StepGraphShape, channels: Record<string, BaseChannel>): Record<string, unknown> {
  const state: Record<string, unknown> = {};
  for (const key of shape.stateKeys) {
    const channel = channels[key];
    if (channel?.isAvailable()) state[key] = channel.get();
  }
  return state;
}

/** LangGraph's `taskPathStr` of a PULL task's path `[PULL, node]`. */
function pullTaskPath(node: string): string {
  return `~${PULL}, ${node}`;
}

/**
 * The step the latest checkpoint `tuple` waits for, when it is a plain one (see the file
 * comment); undefined when LangGraph must decide (pending or error writes, an interrupt, sends,
 * no node or several, an unknown channel or checkpoint format).
 */
export function planStep(shape: StepGraphShape, tuple: CheckpointTuple): StepPlan | undefined {
  const { checkpoint, metadata } = tuple;
  if ((tuple.pendingWrites?.length ?? 0) > 0 || typeof metadata?.step !== "number" || !isPlainCheckpoint(shape, checkpoint)) return undefined;
  const channels = channelsOf(shape, checkpoint);
  if (channels[TASKS]?.isAvailable()) return undefined;
  const triggered = triggeredNodes(shape, checkpoint, channels);
  const [only] = triggered;
  if (triggered.length !== 1 || only === undefined) return undefined;
  const step = metadata.step + 1;
  const { node, trigger } = only;
  // _prepareSingleTask, PULL branch, root namespace: the task id LangGraph stores the writes under
  const taskId = uuid5(JSON.stringify([node, String(step), node, PULL, [trigger]]), checkpoint.id);
  return { tuple, node, trigger, step, taskId, taskPath: pullTaskPath(node), state: stateOf(shape, channels), channels };
}

/**
 * The plan of a new thread's first checkpoint, as LangGraph's `updateState(config, values,
 * START)` writes it on a thread without one (`bulkUpdateState`): START's writers as a task
 * triggered by the interrupt channel, on an empty checkpoint at step -1.
 */
export function planStart(shape: StepGraphShape): StepPlan {
  const checkpoint: Checkpoint = { v: CHECKPOINT_FORMAT, id: "", ts: "", channel_values: {}, channel_versions: {}, versions_seen: {} };
  const tuple: CheckpointTuple = { config: {}, checkpoint, metadata: { source: "input", step: -1, parents: {} }, pendingWrites: [] };
  return { tuple, node: START, trigger: INTERRUPT, step: 0, taskId: "", taskPath: "", state: {}, channels: channelsOf(shape, checkpoint) };
}

/** The state a node's conditional edge reads: the plan's state with the node's own writes applied (LangGraph's fresh local read). */
export function stateAfter(shape: StepGraphShape, plan: StepPlan, writes: readonly PendingWrite[]): Record<string, unknown> {
  const state = { ...plan.state };
  for (const [key, value] of writes) {
    const spec = shape.channels[key];
    if (spec === undefined || !shape.stateKeySet.has(key)) continue;
    const channel = spec.fromCheckpoint(plan.tuple.checkpoint.channel_values[key]);
    channel.update([value]);
    if (channel.isAvailable()) state[key] = channel.get();
    else delete state[key];
  }
  return state;
}

/** The checkpoint after a step, as LangGraph's `put` receives it, and the run it leaves. */
export interface StepOutcome {
  checkpoint: Checkpoint;
  metadata: CheckpointMetadata;
  newVersions: ChannelVersions;
  /** The state values of the new checkpoint. */
  values: Record<string, unknown>;
  /** The nodes the new checkpoint triggers. */
  next: string[];
}

function maxVersion(versions: ChannelVersions): number | undefined {
  let max: number | undefined;
  for (const key in versions) {
    const v = versions[key] as number;
    if (max === undefined || v > max) max = v;
  }
  return max;
}

/**
 * Applies the task's `writes` to the plan's checkpoint as LangGraph does after the superstep:
 * the versions the resumed invoke marks as seen by its interrupt check (`_first`), the trigger
 * the node consumed, one new version for every channel the writes or the step's end changed
 * (`_applyWrites`), the new channel values and the `loop` metadata (`_putCheckpoint`).
 * `getNextVersion` is the saver's. With `source: "update"` it is `updateState`'s checkpoint
 * instead (no invoke, so no interrupt check; `update` metadata).
 */
export function applyStep(
  shape: StepGraphShape,
  plan: StepPlan,
  writes: readonly PendingWrite[],
  getNextVersion: (current: number | undefined) => number,
  source: "loop" | "update" = "loop",
): StepOutcome {
  const loaded = plan.tuple.checkpoint;
  const { channels, node, trigger } = plan;
  const versions: ChannelVersions = { ...loaded.channel_versions };
  const seen: Checkpoint["versions_seen"] = {};
  for (const key in loaded.versions_seen) seen[key] = { ...loaded.versions_seen[key] };

  if (source === "loop") {
    // _first on a resumed invoke: the interrupt check has seen every channel as loaded
    const interruptSeen: ChannelVersions = { ...seen[INTERRUPT] };
    for (const key in shape.channels) if (loaded.channel_versions[key] !== undefined) interruptSeen[key] = loaded.channel_versions[key] as number;
    seen[INTERRUPT] = interruptSeen;
  }

  // _applyWrites with the one task
  const nodeSeen = seen[node] ?? {};
  seen[node] = nodeSeen;
  if (trigger in versions) nodeSeen[trigger] = versions[trigger] as number;
  let max = maxVersion(versions);
  const triggerChannel = channels[trigger];
  if (triggerChannel?.consume()) {
    max = getNextVersion(max);
    versions[trigger] = max;
  }
  const next = getNextVersion(max);
  const byChannel = new Map<string, unknown[]>();
  for (const [chan, value] of writes) {
    if (!(chan in channels)) continue;
    const values = byChannel.get(chan);
    if (values) values.push(value);
    else byChannel.set(chan, [value]);
  }
  const updated = new Set<string>();
  for (const [chan, values] of byChannel) {
    const channel = channels[chan] as BaseChannel;
    if (channel.update(values)) {
      versions[chan] = next;
      if (channel.isAvailable()) updated.add(chan);
    }
  }
  for (const key in channels) {
    const channel = channels[key] as BaseChannel;
    if (channel.isAvailable() && !updated.has(key) && channel.update([])) {
      versions[key] = next;
      if (channel.isAvailable()) updated.add(key);
    }
  }
  if (!triggersANode(shape, updated)) {
    for (const key in channels) {
      const channel = channels[key] as BaseChannel;
      if (channel.finish()) {
        versions[key] = next;
        if (channel.isAvailable()) updated.add(key);
      }
    }
  }

  // createCheckpoint + _putCheckpoint
  const values: Record<string, unknown> = {};
  for (const key in channels) {
    const channel = channels[key] as BaseChannel;
    if (channel instanceof Topic || channel.isAvailable()) values[key] = channel.checkpoint();
  }
  const checkpoint: Checkpoint = {
    v: CHECKPOINT_FORMAT,
    id: uuid6(plan.step),
    ts: new Date().toISOString(),
    channel_values: values,
    channel_versions: versions,
    versions_seen: seen,
  };
  const newVersions = newVersionsOf(loaded.channel_versions, versions);
  const metadata: CheckpointMetadata = { source, step: plan.step, parents: {} };
  const nextNodes = triggeredNodes(shape, checkpoint, channels).map((t) => t.node);
  return { checkpoint, metadata, newVersions, values: stateOf(shape, channels), next: nextNodes };
}

function triggersANode(shape: StepGraphShape, updated: ReadonlySet<string>): boolean {
  for (const node in shape.triggers) if (shape.triggers[node]?.some((chan) => updated.has(chan))) return true;
  return false;
}

/** LangGraph's `getNewChannelVersions`: the versions that moved (all of them on a first checkpoint). */
function newVersionsOf(previous: ChannelVersions, current: ChannelVersions): ChannelVersions {
  if (Object.keys(previous).length === 0) return current;
  const moved: ChannelVersions = {};
  for (const key in current) if ((current[key] as number) > ((previous[key] as number | undefined) ?? 0)) moved[key] = current[key] as number;
  return moved;
}
