import type { ApprovalSummary, RedisKeys } from "@pyfleet/core";
import type { Redis } from "ioredis";

/** An approval event as published by the ApprovalStore. */
export interface ApprovalEvent {
  kind: "pending" | "decided";
  approval: ApprovalSummary;
}

/**
 * Fans the approvals pub/sub channel out to in-process listeners (SSE clients). Owns its
 * subscriber connection (a subscribed ioredis connection cannot run other commands).
 */
export class ApprovalEvents {
  private readonly listeners = new Set<(e: ApprovalEvent) => void>();
  private started = false;
  private closed = false;

  constructor(
    private readonly subscriber: Redis,
    private readonly keys: RedisKeys,
  ) {}

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.subscriber.on("message", (_channel: string, message: string) => {
      let evt: ApprovalEvent;
      try {
        evt = JSON.parse(message) as ApprovalEvent;
      } catch {
        return;
      }
      for (const l of this.listeners) l(evt);
    });
    await this.subscriber.subscribe(this.keys.approvalChannel());
  }

  /** Adds a listener; returns the function that removes it. */
  subscribe(listener: (e: ApprovalEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get size(): number {
    return this.listeners.size;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.listeners.clear();
    await this.subscriber.quit().catch(() => undefined);
  }
}
