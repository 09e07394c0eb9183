export { redisStream } from "./redis-stream.js";
export type { RedisStreamOptions } from "./redis-options.js";
