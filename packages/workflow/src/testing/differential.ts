/**
 * Test helpers comparing what two engines store for the same run: a saver that records every
 * `putWrites` / `put` it passes on, and a normal form of those records and of the thread's latest
 * checkpoint in which only the random parts are replaced (checkpoint ids by their order of
 * appearance, `ts` dropped) and task ids by the node and checkpoint they are LangGraph's id of.
 */
import type { RunnableConfig } from "@langchain/core/runnables";
import {
  BaseCheckpointSaver,
  type ChannelVersions,
  type Checkpoint,
  type CheckpointListOptions,
  type CheckpointMetadata,
  type CheckpointTuple,
  type PendingWrite,
  uuid5,
} from "@langchain/langgraph-checkpoint";
import { NODE_NAMES } from "../pipeline-types.js";

/** One call the recording saver passed on. `engine` tells the fast path's put from LangGraph's. */
export type SaverOp =
  | { op: "putWrites"; checkpointId: string; taskId: string; taskPath: string; writes: PendingWrite[] }
  | { op: "put"; parentId: string | undefined; checkpoint: Checkpoint; metadata: CheckpointMetadata; newVersions: ChannelVersions; engine: "langgraph" | "fast" };

/** Delegates every call to `inner` and records the writes; `failNextPut` makes the next `put` throw (a process stopping before it). */
export class RecordingSaver extends BaseCheckpointSaver {
  readonly ops: SaverOp[] = [];
  failNextPut = false;
  constructor(readonly inner: BaseCheckpointSaver) {
    super(inner.serde);
  }
  override getTuple(config: RunnableConfig): Promise<CheckpointTuple | undefined> {
    return this.inner.getTuple(config);
  }
  override list(config: RunnableConfig, options?: CheckpointListOptions): AsyncGenerator<CheckpointTuple> {
    return this.inner.list(config, options);
  }
  override async put(config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata, newVersions: ChannelVersions) {
    // who called: the fast path's methods are on the (synchronous) stack of its puts
    const engine = new Error().stack?.includes("at FastSteps.") ? "fast" : "langgraph";
    this.ops.push({ op: "put", parentId: config.configurable?.checkpoint_id, checkpoint: structuredClone(checkpoint), metadata, newVersions: { ...newVersions }, engine });
    if (this.failNextPut) {
      this.failNextPut = false;
      throw new Error("process stopped before the checkpoint was written");
    }
    return this.inner.put(config, checkpoint, metadata, newVersions);
  }
  override putWrites(config: RunnableConfig, writes: PendingWrite[], taskId: string, taskPath?: string): Promise<void> {
    this.ops.push({ op: "putWrites", checkpointId: config.configurable?.checkpoint_id, taskId, taskPath: taskPath ?? "", writes: structuredClone(writes) });
    return this.inner.putWrites(config, writes, taskId, taskPath);
  }
  override deleteThread(threadId: string): Promise<void> {
    return this.inner.deleteThread(threadId);
  }
  override getNextVersion(current: number | undefined): number {
    return this.inner.getNextVersion(current);
  }
  /** The ops recorded since the last call. */
  take(): SaverOp[] {
    return this.ops.splice(0, this.ops.length);
  }
}

/** Replaces random ids consistently for one side: checkpoint ids by `cp<n>` in order of appearance. */
export class Normaliser {
  private readonly ids = new Map<string, string>();
  /** Step of each checkpoint seen (its metadata), for task ids. */
  private readonly steps = new Map<string, number>();

  checkpointId(id: string | undefined): string | undefined {
    return id === undefined ? undefined : this.label(id, "cp");
  }

  /** The writes with each interrupt's id (a hash of its task's id) labelled `interrupt<n>` in order of appearance. */
  writes(writes: ReadonlyArray<readonly [string, unknown]>) {
    return writes.map(([channel, value]) => {
      if (channel !== "__interrupt__" || !Array.isArray(value)) return [channel, value];
      return [channel, value.map((i: { id?: string }) => ({ ...i, id: i.id === undefined ? undefined : this.label(`interrupt:${i.id}`, "interrupt") }))];
    });
  }

  private label(key: string, prefix: string): string {
    let label = this.ids.get(key);
    if (label === undefined) {
      label = `${prefix}${this.ids.size}`;
      this.ids.set(key, label);
    }
    return label;
  }

  /** `task:<node>` when `taskId` is LangGraph's id of the node's PULL task on the checkpoint, else the raw id (a mismatch). */
  taskId(taskId: string, checkpointId: string): string {
    const step = (this.steps.get(checkpointId) ?? Number.NaN) + 1;
    for (const node of NODE_NAMES) {
      if (uuid5(JSON.stringify([node, String(step), node, "__pregel_pull", [`branch:to:${node}`]]), checkpointId) === taskId) return `task:${node}`;
    }
    return taskId;
  }

  checkpoint(checkpoint: Checkpoint, metadata: CheckpointMetadata | undefined) {
    if (metadata?.step !== undefined) this.steps.set(checkpoint.id, metadata.step);
    const { id, ts: _ts, ...rest } = checkpoint;
    return { id: this.checkpointId(id), ...rest };
  }

  op(op: SaverOp) {
    if (op.op === "put") {
      return { ...op, parentId: this.checkpointId(op.parentId), checkpoint: this.checkpoint(op.checkpoint, op.metadata), engine: undefined };
    }
    return { ...op, checkpointId: this.checkpointId(op.checkpointId), taskId: this.taskId(op.taskId, op.checkpointId), writes: this.writes(op.writes) };
  }

  tuple(tuple: CheckpointTuple | undefined) {
    if (tuple === undefined) return undefined;
    const checkpoint = this.checkpoint(tuple.checkpoint, tuple.metadata);
    return {
      checkpoint,
      metadata: tuple.metadata,
      parent: this.checkpointId(tuple.parentConfig?.configurable?.checkpoint_id),
      pendingWrites: (tuple.pendingWrites ?? []).map(([taskId, channel, value]) => [
        this.taskId(taskId, tuple.checkpoint.id),
        ...(this.writes([[channel, value]])[0] ?? []),
      ]),
    };
  }
}
