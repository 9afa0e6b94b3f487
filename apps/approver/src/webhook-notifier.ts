import { createHmac } from "node:crypto";
import { formatManifestTable } from "@pyfleet/core";
import type { Logger } from "pino";
import type { ApprovalEvent, ApprovalEvents } from "./approval-events.js";

/** One configured webhook (`approver.webhooks[]`). */
export interface WebhookTarget {
  url: string;
  /** HMAC-SHA256 secret for the `x-pyfleet-signature` header (from the env var the config names). */
  secret?: string;
  /** Which events to send (default both). */
  events?: Array<"pending" | "decided">;
}

export interface WebhookNotifierOptions {
  /** Attempts per delivery (default 5). */
  attempts?: number;
  /** First backoff in ms, doubled each retry (default 500). */
  backoffMs?: number;
  /** Per-request timeout in ms (default 5000). */
  timeoutMs?: number;
}

/** Signature header value: `sha256=<hex hmac of the body>`. */
export function webhookSignature(secret: string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(body, "utf8").digest("hex")}`;
}

/**
 * POSTs approval events to webhooks, signed and retried with exponential backoff. Deliveries
 * run in the background; `close()` waits for the ones in flight.
 */
export class WebhookNotifier {
  private readonly inflight = new Set<Promise<void>>();
  private off: (() => void) | null = null;
  private closed = false;

  constructor(
    private readonly targets: WebhookTarget[],
    private readonly logger: Logger,
    private readonly options: WebhookNotifierOptions = {},
  ) {}

  /** Starts forwarding events from the approvals channel. */
  attach(events: ApprovalEvents): void {
    this.off = events.subscribe((e) => this.notify(e));
  }

  /** Queues delivery of one event to every target that wants it. */
  notify(event: ApprovalEvent): void {
    if (this.closed) return;
    for (const t of this.targets) {
      if (t.events && !t.events.includes(event.kind)) continue;
      const p = this.deliver(t, event).finally(() => this.inflight.delete(p));
      this.inflight.add(p);
    }
  }

  private async deliver(t: WebhookTarget, event: ApprovalEvent): Promise<void> {
    const manifest = event.approval.manifest;
    // the manifest as text too, for receivers that only relay a message (chat, mail)
    const extra = manifest ? { manifestTable: formatManifestTable(manifest) } : {};
    const body = JSON.stringify({ type: `approval.${event.kind}`, at: new Date().toISOString(), approval: event.approval, ...extra });
    const headers: Record<string, string> = { "content-type": "application/json", "user-agent": "pyfleet-approver" };
    if (t.secret) headers["x-pyfleet-signature"] = webhookSignature(t.secret, body);
    const attempts = this.options.attempts ?? 5;
    let delay = this.options.backoffMs ?? 500;
    for (let i = 1; i <= attempts; i++) {
      try {
        const r = await fetch(t.url, { method: "POST", headers, body, signal: AbortSignal.timeout(this.options.timeoutMs ?? 5000) });
        if (r.ok) return;
        if (r.status < 500 && r.status !== 429) {
          this.logger.warn({ url: t.url, status: r.status }, "webhook refused the event; not retrying");
          return;
        }
        this.logger.warn({ url: t.url, status: r.status, attempt: i }, "webhook failed; retrying");
      } catch (err) {
        this.logger.warn({ url: t.url, attempt: i, err: (err as Error).message }, "webhook unreachable; retrying");
      }
      if (i < attempts && !this.closed) await new Promise((r) => setTimeout(r, delay));
      delay *= 2;
    }
    this.logger.error({ url: t.url, approvalId: event.approval.id }, "webhook delivery gave up");
  }

  /** Stops taking events and waits for deliveries in flight. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    this.off?.();
    this.off = null;
    await Promise.allSettled([...this.inflight]);
  }
}
