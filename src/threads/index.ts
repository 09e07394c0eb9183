export { cpuQuota } from "../internal/cpu-quota.js";
export { type ThreadContext, type ThreadFunction, type ThreadItemOf, thread } from "./thread.js";
export type { ThreadExecutor } from "./thread-executor.js";
export type { ThreadOptions } from "./thread-options.js";
export { ThreadPool, type ThreadPoolOptions, threadPool } from "./thread-pool.js";
export { transfer } from "./transfer.js";
