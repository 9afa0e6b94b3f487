import { AsyncLocalStorage } from "node:async_hooks";
import type { RunnableConfig } from "@langchain/core/runnables";
import {
  BaseCheckpointSaver,
  type ChannelVersions,
  type Checkpoint,
  type CheckpointListOptions,
  type CheckpointMetadata,
  type CheckpointTuple,
  type PendingWrite,
} from "@langchain/langgraph-checkpoint";

/** The latest checkpoint of one thread as read inside one step. */
interface Held {
  threadId: string;
  /** How many more readers get `tuple` instead of a read (undefined is a valid read: no checkpoint). */
  readers: number;
  tuple: CheckpointTuple | undefined;
}

/**
 * The pipeline's view of the injected checkpointer: every call is delegated, except that inside
 * {@link once} the thread's latest checkpoint is fetched once for two readers. A step reads the
 * run (`getState`) to check that the expected node is pending, then `invoke` loads the latest
 * checkpoint again to run it; here the second load gets the tuple the check was made on, so the
 * node that runs is the one that was checked and a step costs one checkpoint read, not two.
 * Any write to the thread inside the scope drops a held read (it is no longer the latest).
 */
export class StepReadSaver extends BaseCheckpointSaver {
  private readonly scope = new AsyncLocalStorage<Held>();

  constructor(private readonly inner: BaseCheckpointSaver) {
    super(inner.serde);
  }

  /** Runs `fn` with the latest checkpoint of `threadId` read from the inner saver at most once. */
  once<T>(threadId: string, fn: () => Promise<T>): Promise<T> {
    return this.scope.run({ threadId, readers: 0, tuple: undefined }, fn);
  }

  /**
   * The thread's latest checkpoint for a reader that only looks (a fast step's plan, which does
   * not change the tuple): read once inside {@link once}, and held for the two readers of the
   * LangGraph step that runs instead when the plan declines (`getState`, then the invoke).
   */
  async peek(config: RunnableConfig): Promise<CheckpointTuple | undefined> {
    const held = this.heldFor(config);
    const tuple = await this.inner.getTuple(config);
    if (held) {
      held.readers = 2;
      held.tuple = tuple;
    }
    return tuple;
  }

  override async getTuple(config: RunnableConfig): Promise<CheckpointTuple | undefined> {
    const held = this.heldFor(config);
    if (!held || config.configurable?.checkpoint_id || (config.configurable?.checkpoint_ns ?? "") !== "") return this.inner.getTuple(config);
    if (held.readers > 0) {
      const tuple = held.tuple;
      held.readers -= 1;
      if (held.readers > 0) return tuple && versionsCopied(tuple);
      held.tuple = undefined;
      return tuple;
    }
    const tuple = await this.inner.getTuple(config);
    held.readers = 1;
    held.tuple = tuple;
    return tuple && versionsCopied(tuple);
  }

  override list(config: RunnableConfig, options?: CheckpointListOptions): AsyncGenerator<CheckpointTuple> {
    return this.inner.list(config, options);
  }

  override put(config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata, newVersions: ChannelVersions): Promise<RunnableConfig> {
    this.drop(config);
    return this.inner.put(config, checkpoint, metadata, newVersions);
  }

  override putWrites(config: RunnableConfig, writes: PendingWrite[], taskId: string, taskPath?: string): Promise<void> {
    this.drop(config);
    return this.inner.putWrites(config, writes, taskId, taskPath);
  }

  override deleteThread(threadId: string): Promise<void> {
    return this.inner.deleteThread(threadId);
  }

  override getDeltaChannelHistory(options: Parameters<BaseCheckpointSaver["getDeltaChannelHistory"]>[0]) {
    return this.inner.getDeltaChannelHistory(options);
  }

  override getNextVersion(current: number | undefined): number {
    return this.inner.getNextVersion(current);
  }

  private heldFor(config: RunnableConfig): Held | undefined {
    const held = this.scope.getStore();
    return held && config.configurable?.thread_id === held.threadId ? held : undefined;
  }

  private drop(config: RunnableConfig): void {
    const held = this.heldFor(config);
    if (held) {
      held.readers = 0;
      held.tuple = undefined;
    }
  }
}

/**
 * The tuple with its own copy of the version maps. `getState` applies a checkpoint's pending
 * writes to the checkpoint object it was given (channel and seen versions), so the reader that
 * checks must not share those maps with the invoke that runs: the invoke would see a finished
 * task's output as already applied and never save the checkpoint after it.
 */
function versionsCopied(tuple: CheckpointTuple): CheckpointTuple {
  const { checkpoint } = tuple;
  const seen = Object.fromEntries(Object.entries(checkpoint.versions_seen).map(([node, versions]) => [node, { ...versions }]));
  return { ...tuple, checkpoint: { ...checkpoint, channel_versions: { ...checkpoint.channel_versions }, versions_seen: seen } };
}
