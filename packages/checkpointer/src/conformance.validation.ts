import { deltaChannelHistoryTests, validate } from "@langchain/langgraph-checkpoint-validation";
import { describe } from "vitest";
import { createRedisFixture, type RedisFixture } from "@pyfleet/testing";
import { PlainRedisSaver } from "./plain-redis-saver.js";

/**
 * Runs `@langchain/langgraph-checkpoint-validation` against the plain saver on the real Redis
 * (`REDIS_URL` or 127.0.0.1:6379). Every checkpointer the suite creates gets its own prefix
 * under this run's fixture prefix, so cross-thread `list()` sees only its own threads, and
 * the fixture deletes every key of the run afterwards.
 */
let fixture: RedisFixture | undefined;
let created = 0;

const initializer = {
  checkpointerName: "@pyfleet/checkpointer PlainRedisSaver",
  async beforeAll() {
    fixture = await createRedisFixture("conformance");
  },
  async afterAll() {
    await fixture?.cleanup();
  },
  createCheckpointer() {
    if (!fixture) throw new Error("conformance fixture not initialised");
    created += 1;
    return new PlainRedisSaver(fixture.redis, { prefix: `${fixture.prefix}:${created}` });
  },
};

validate(initializer);
// Opt-in in the library (getDeltaChannelHistory is Beta); run it too, the fleet relies on it.
describe(initializer.checkpointerName, () => {
  deltaChannelHistoryTests(initializer);
});
