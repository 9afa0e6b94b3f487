import type { Cluster, Redis } from "ioredis";

/** An ioredis client: a single server (Redis 7+, Valkey) or a Redis Cluster. */
export type RedisClient = Redis | Cluster;
