import { createServer, type Server, type Socket } from "node:net";

/** The three connections a forked child opens (see `pyfleet_forkserver.py`). */
export type ChildStreamKind = "ctl" | "out" | "err";

/** What the executor does with one run's connections as they arrive. */
export interface ChildRoute {
  /** A connection of this kind arrived (before any of its data). */
  onOpen(kind: ChildStreamKind): void;
  /** The job connection: write the job, then read the report until it closes. */
  onControl(socket: Socket, firstData: Buffer): void;
  /** Bytes the child wrote to fd 1 or 2. */
  onData(kind: "out" | "err", chunk: Buffer): void;
  /** fd 1 or 2 of the child (and of whatever inherited it) is closed. */
  onEnd(kind: "out" | "err"): void;
}

const MAX_HEADER = 128;
const HEADER = /^([A-Za-z0-9_-]{1,64}) (ctl|out|err)$/;

/**
 * A Unix socket server the forked children connect back to. Each connection starts with
 * `"<run id> <kind>\n"`; it is handed to the route registered for that id, once per kind.
 * Connections for unknown ids, repeated kinds or malformed headers are closed at once.
 */
export class ChildHub {
  private readonly routes = new Map<string, { route: ChildRoute; seen: Set<ChildStreamKind>; sockets: Set<Socket> }>();
  private readonly sockets = new Set<Socket>();

  private constructor(private readonly server: Server) {}

  /** Listens on `socketPath` (the file must not exist). */
  static async listen(socketPath: string): Promise<ChildHub> {
    const server = createServer({ allowHalfOpen: true });
    const hub = new ChildHub(server);
    server.on("connection", (socket) => hub.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(socketPath, () => {
        server.off("error", reject);
        resolve();
      });
    });
    return hub;
  }

  /** Routes connections of `runId` to `route` until {@link release}. */
  register(runId: string, route: ChildRoute): void {
    this.routes.set(runId, { route, seen: new Set(), sockets: new Set() });
  }

  /** Stops routing `runId` and destroys its connections that are still open. */
  release(runId: string): void {
    const entry = this.routes.get(runId);
    this.routes.delete(runId);
    for (const socket of entry?.sockets ?? []) socket.destroy();
  }

  /** Closes the server and every connection. Idempotent. */
  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    this.routes.clear();
    if (!this.server.listening) return;
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    socket.once("close", () => this.sockets.delete(socket));
    socket.on("error", () => socket.destroy());
    let head: Buffer = Buffer.alloc(0);
    const onHeader = (chunk: Buffer) => {
      head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
      const nl = head.indexOf(10);
      if (nl < 0) {
        if (head.length > MAX_HEADER) socket.destroy();
        return;
      }
      socket.off("data", onHeader);
      const match = HEADER.exec(head.subarray(0, nl).toString("latin1"));
      const entry = match ? this.routes.get(match[1] as string) : undefined;
      const kind = match?.[2] as ChildStreamKind | undefined;
      if (!entry || !kind || entry.seen.has(kind)) {
        socket.destroy();
        return;
      }
      entry.seen.add(kind);
      entry.sockets.add(socket);
      entry.route.onOpen(kind);
      const rest = head.subarray(nl + 1);
      if (kind === "ctl") {
        entry.route.onControl(socket, rest);
        return;
      }
      if (rest.length > 0) entry.route.onData(kind, rest);
      socket.on("data", (b: Buffer) => entry.route.onData(kind, b));
      socket.once("end", () => {
        entry.route.onEnd(kind);
        socket.end();
      });
      socket.once("close", () => entry.route.onEnd(kind));
    };
    socket.on("data", onHeader);
  }
}
