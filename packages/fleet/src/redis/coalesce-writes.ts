import type { Socket } from "node:net";
import type { Redis } from "ioredis";

const patched = new WeakSet<Socket>();

/**
 * Makes the commands `redis` issues within one turn of the event loop (a step's record patch,
 * its events and the next job's add; a hop's cancel check and checkpoint read) leave in one
 * socket write instead of one `write()` each: the socket is corked at the turn's first command
 * and uncorked by a `process.nextTick`. Issued from a promise continuation, that tick runs once
 * the microtask queue is empty, so every continuation chained in that turn shares the write;
 * issued synchronously from an I/O callback, it runs right after that callback, before the
 * continuations the callback queued (their commands leave in a second write). Redis gets
 * the same bytes in the same order, in fewer reads; each write on loopback otherwise wakes
 * redis-server once per command. Unlike ioredis's `enableAutoPipelining`, no `Pipeline` is built
 * (its constructor copies every script defined on the connection, BullMQ's ~50 among them).
 * Applies to every socket the client opens, reconnects included; a `duplicate()` (BullMQ's
 * blocking connection, event tails) keeps plain writes.
 */
export function coalesceWrites(redis: Redis): void {
  const patch = () => {
    const socket = redis.stream as Socket | undefined;
    if (!socket || patched.has(socket)) return;
    patched.add(socket);
    const write = socket.write;
    let corked = false;
    const uncork = () => {
      corked = false;
      socket.uncork();
    };
    socket.write = function (this: Socket, ...args: Parameters<Socket["write"]>) {
      if (!corked) {
        corked = true;
        socket.cork();
        process.nextTick(uncork);
      }
      return write.apply(this, args);
    } as Socket["write"];
  };
  redis.on("connect", patch);
  patch();
}
