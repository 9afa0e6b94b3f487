import { isTerminalStatus, type RunEvent } from "@pyfleet/core";
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

/** Longest wait on the run's stream before its status is checked, and how often a keep-alive comment is sent. */
const BLOCK_MS = 2000;
const PING_MS = 15_000;

/**
 * Streams a run's events as Server-Sent Events (`id` = Redis stream id, `event` = type).
 * Resumes after `Last-Event-ID` (header or `?lastEventId=`); ends after the `finished` event,
 * or, with `?follow=0`, once the events stored so far are sent. New events arrive through the
 * event log's blocking tail (XREAD BLOCK), not by polling.
 */
export async function streamRunEvents(fleet: Fleet, runId: string, req: FastifyRequest, reply: FastifyReply): Promise<void> {
  const q = req.query as { lastEventId?: string; follow?: string };
  const follow = q.follow !== "0";
  const header = req.headers["last-event-id"];
  const requested = (Array.isArray(header) ? header[0] : header) ?? q.lastEventId ?? "0";
  let last = isStreamId(requested) ? requested : "0";
  const { res } = openEventStream(reply);
  const gone = new AbortController();
  res.on("close", () => gone.abort());
  let lastWrite = Date.now();
  /** Writes the events; true once the `finished` event went out. */
  const send = (events: RunEvent[]): boolean => {
    for (const e of events) {
      res.write(`id: ${e.id}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`);
      last = e.id ?? last;
      lastWrite = Date.now();
      if (e.type === "finished") return true;
    }
    return false;
  };
  try {
    if (!follow) {
      for (let events = await fleet.events(runId, last); events.length > 0 && !send(events); ) {
        events = await fleet.events(runId, last);
      }
      return;
    }
    for await (const events of fleet.tail(runId, last, { signal: gone.signal, blockMs: BLOCK_MS })) {
      if (send(events)) break;
      if (events.length > 0) continue;
      const rec = await fleet.get(runId);
      if (!rec || isTerminalStatus(rec.status)) {
        // events appended between the wait and the status read are still sent
        send(await fleet.events(runId, last));
        break;
      }
      if (Date.now() - lastWrite > PING_MS) {
        res.write(": ping\n\n");
        lastWrite = Date.now();
      }
    }
  } catch (err) {
    req.log.warn({ err, runId }, "run event stream ended by an error");
  } finally {
    gone.abort();
    res.end();
  }
}
