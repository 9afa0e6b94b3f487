import { isTerminalStatus } from "@pyfleet/core";
import { type Fleet, isStreamId } from "@pyfleet/fleet";
import type { ServerResponse } from "node:http";
import type { FastifyReply, FastifyRequest } from "fastify";

/**
 * Takes the response over from Fastify and starts an SSE stream (no proxy buffering), with a
 * first comment so clients see the connection open.
 */
export function openEventStream(reply: FastifyReply): { res: ServerResponse } {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive", "x-accel-buffering": "no" });
  res.write(": connected\n\n");
  return { res };
}

/** How often the stream is polled for new events, and how often a keep-alive comment is sent. */
const POLL_MS = 100;
const PING_MS = 15_000;

/**
 * Streams a run's events as Server-Sent Events (`id` = Redis stream id, `event` = type).
 * Resumes after `Last-Event-ID` (header or `?lastEventId=`); ends after the `finished` event,
 * or, with `?follow=0`, once the events stored so far are sent.
 */
export async function streamRunEvents(fleet: Fleet, runId: string, req: FastifyRequest, reply: FastifyReply): Promise<void> {
  const q = req.query as { lastEventId?: string; follow?: string };
  const follow = q.follow !== "0";
  const header = req.headers["last-event-id"];
  const requested = (Array.isArray(header) ? header[0] : header) ?? q.lastEventId ?? "0";
  let last = isStreamId(requested) ? requested : "0";
  const stream = openEventStream(reply);
  const res = stream.res;
  let closed = false;
  req.raw.on("close", () => {
    closed = true;
  });
  let lastWrite = Date.now();
  while (!closed) {
    const events = await fleet.ctx.events.read(runId, last);
    for (const e of events) {
      res.write(`id: ${e.id}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`);
      last = e.id ?? last;
      lastWrite = Date.now();
      if (e.type === "finished") closed = true;
    }
    if (closed || (!follow && events.length === 0)) break;
    if (events.length === 0) {
      const rec = await fleet.get(runId);
      if (!rec || isTerminalStatus(rec.status)) break;
      if (Date.now() - lastWrite > PING_MS) {
        res.write(": ping\n\n");
        lastWrite = Date.now();
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }
  res.end();
}
