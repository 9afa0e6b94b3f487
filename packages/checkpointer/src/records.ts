import type { RunnableConfig } from "@langchain/core/runnables";
import {
  type Checkpoint,
  type CheckpointMetadata,
  type CheckpointPendingWrite,
  type CheckpointTuple,
  compareWritesSortKeys,
  type SerializerProtocol,
  type WritesSortKey,
  writesSortKey,
} from "@langchain/langgraph-checkpoint";
import { pack, unpackExactly } from "./codec.js";
import { parseCheckpointMember } from "./keys.js";

/**
 * Stored record formats (framed by `codec.ts`) and their assembly into `CheckpointTuple`s.
 * checkpoint: [id, parent id or "", checkpoint type, checkpoint bytes, metadata type, metadata bytes]
 * blob:       [channel, type, bytes]
 * write:      [task id, channel, task path, idx, type, bytes]
 */

/** One checkpoint as returned by the load script: record, referenced blobs, pending writes. */
export interface RawCheckpoint {
  member: string;
  record: Buffer;
  blobs: Array<Buffer | null>;
  writes: Array<Buffer | null>;
}

/** A pending write decoded with its sort key, before value deserialisation. */
interface StoredWrite {
  key: WritesSortKey;
  taskId: string;
  channel: string;
  type: string;
  bytes: Buffer;
}

/** Frames a checkpoint record (checkpoint without channel values, metadata, parent id). */
export function packCheckpointRecord(
  checkpointId: string,
  parentId: string | undefined,
  checkpoint: [string, Uint8Array],
  metadata: [string, Uint8Array],
): Buffer {
  return pack([checkpointId, parentId ?? "", checkpoint[0], checkpoint[1], metadata[0], metadata[1]]);
}

/** Frames one channel value; the channel name travels with it so reads need no field names. */
export function packBlob(channel: string, typed: [string, Uint8Array]): Buffer {
  return pack([channel, typed[0], typed[1]]);
}

/** Frames one pending write with everything its sort key needs. */
export function packWrite(
  taskId: string,
  channel: string,
  taskPath: string,
  idx: number,
  typed: [string, Uint8Array],
): Buffer {
  return pack([taskId, channel, taskPath, String(idx), typed[0], typed[1]]);
}

/** Parses the load script's reply (nested arrays of Buffers) into {@link RawCheckpoint}s. */
export function parseLoadReply(reply: unknown): RawCheckpoint[] {
  if (!Array.isArray(reply)) throw new Error("unexpected reply from the checkpoint load script");
  return reply.map((entry: unknown) => {
    const [member, record, blobs, writes] = entry as [Buffer, Buffer, Array<Buffer | null>, Array<Buffer | null>];
    return { member: member.toString("utf8"), record, blobs, writes };
  });
}

/** Decodes stored writes and sorts them in `writesSortKey` order (the order LangGraph applies them). */
function orderedWrites(raw: Array<Buffer | null>): StoredWrite[] {
  const writes: StoredWrite[] = [];
  for (const buf of raw) {
    if (buf === null) continue;
    const [taskId, channel, taskPath, idx, type, bytes] = unpackExactly(buf, 6, "write") as [
      Buffer,
      Buffer,
      Buffer,
      Buffer,
      Buffer,
      Buffer,
    ];
    const task = taskId.toString("utf8");
    writes.push({
      key: writesSortKey(taskPath.toString("utf8"), task, Number(idx.toString("utf8"))),
      taskId: task,
      channel: channel.toString("utf8"),
      type: type.toString("utf8"),
      bytes,
    });
  }
  return writes.sort((a, b) => compareWritesSortKeys(a.key, b.key));
}

/** Deserialises the pending writes of one checkpoint, optionally only those of one channel. */
export async function loadPendingWrites(
  serde: SerializerProtocol,
  raw: Array<Buffer | null>,
  channel?: string,
): Promise<CheckpointPendingWrite[]> {
  const writes = orderedWrites(raw).filter((w) => channel === undefined || w.channel === channel);
  return Promise.all(
    writes.map(async (w): Promise<CheckpointPendingWrite> => [
      w.taskId,
      w.channel,
      await serde.loadsTyped(w.type, w.bytes),
    ]),
  );
}

/** The header of a checkpoint record: ids and metadata, without deserialising the checkpoint. */
export interface RecordHeader {
  checkpointId: string;
  parentId: string | undefined;
  checkpointNs: string;
  parts: Buffer[];
}

/** Unframes a checkpoint record; the checkpoint and metadata stay serialized until needed. */
export function readHeader(raw: RawCheckpoint): RecordHeader {
  const parts = unpackExactly(raw.record, 6, "checkpoint");
  const parent = parts[1]!.toString("utf8");
  return {
    checkpointId: parts[0]!.toString("utf8"),
    parentId: parent === "" ? undefined : parent,
    checkpointNs: parseCheckpointMember(raw.member).checkpointNs,
    parts,
  };
}

/** Deserialises the metadata of a record (list filters run on it before anything else loads). */
export async function loadMetadata(serde: SerializerProtocol, header: RecordHeader): Promise<CheckpointMetadata> {
  return serde.loadsTyped(header.parts[4]!.toString("utf8"), header.parts[5]!);
}

/** Builds the full tuple: checkpoint with its channel values reassembled from blobs, writes, configs. */
export async function assembleTuple(
  serde: SerializerProtocol,
  threadId: string,
  raw: RawCheckpoint,
  header: RecordHeader,
  metadata: CheckpointMetadata,
): Promise<CheckpointTuple> {
  const checkpoint: Checkpoint = await serde.loadsTyped(header.parts[2]!.toString("utf8"), header.parts[3]!);
  const values: Record<string, unknown> = {};
  for (const blob of raw.blobs) {
    if (blob === null) continue;
    const [channel, type, bytes] = unpackExactly(blob, 3, "blob") as [Buffer, Buffer, Buffer];
    values[channel.toString("utf8")] = await serde.loadsTyped(type.toString("utf8"), bytes);
  }
  checkpoint.channel_values = values;
  const tuple: CheckpointTuple = {
    config: configFor(threadId, header.checkpointNs, header.checkpointId),
    checkpoint,
    metadata,
    pendingWrites: await loadPendingWrites(serde, raw.writes),
  };
  if (header.parentId !== undefined) tuple.parentConfig = configFor(threadId, header.checkpointNs, header.parentId);
  return tuple;
}

/** The canonical config naming one checkpoint. */
export function configFor(threadId: string, checkpointNs: string, checkpointId: string): RunnableConfig {
  return { configurable: { thread_id: threadId, checkpoint_ns: checkpointNs, checkpoint_id: checkpointId } };
}
