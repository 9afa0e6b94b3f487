export {
  type CheckpointerHandle,
  type CheckpointerKind,
  type CheckpointerType,
  type CreateCheckpointerOptions,
  createCheckpointer,
  loadedModules,
} from "./factory.js";
export { threadKeyList, threadKeys, threadKeysPattern, threadsIndexKey } from "./keys.js";
export { expireOfficialThread, OFFICIAL_KEY_FAMILIES } from "./official-keys.js";
export { PlainRedisSaver, type PlainRedisSaverOptions } from "./plain-redis-saver.js";
export type { RedisClient } from "./redis-client.js";
