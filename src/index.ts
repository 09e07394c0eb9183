export {
  Channel,
  type ChannelOptions,
  type ChannelWaitOptions,
  channel,
} from "./channel/channel.js";
export { CancelledError, isCancelledError } from "./errors/cancelled-error.js";
export { ChannelClosedError, isChannelClosedError } from "./errors/channel-closed-error.js";
export { InvalidOptionError, isInvalidOptionError } from "./errors/invalid-option-error.js";
export { isRunConsumedError, RunConsumedError } from "./errors/run-consumed-error.js";
export { isSourceError, SourceError } from "./errors/source-error.js";
export { isStageError, StageError } from "./errors/stage-error.js";
export { isTimeoutError, TimeoutError } from "./errors/timeout-error.js";
export { isWorkerCrashedError, WorkerCrashedError } from "./errors/worker-crashed-error.js";
export { isWorkerInitError, WorkerInitError } from "./errors/worker-init-error.js";
export {
  isThreadPoolClosedError,
  ThreadPoolClosedError,
} from "./errors/thread-pool-closed-error.js";
export { isResourceError, ResourceError } from "./errors/resource-error.js";
export { cpuQuota } from "./internal/cpu-quota.js";
export { aimd, type AimdOptions } from "./limit/aimd.js";
export { elastic, type ElasticOptions } from "./limit/elastic.js";
export { gradient, type GradientOptions } from "./limit/gradient.js";
export { isLimiter, type Limiter } from "./limit/limiter.js";
export type { Duration } from "./internal/duration.js";
export { defaults } from "./pipeline/defaults.js";
export { from } from "./pipeline/from.js";
export { merge, type MergeInput, type MergedItem } from "./pipeline/merge.js";
export type {
  BatchOptions,
  DistinctOptions,
  FromOptions,
  RateLimitOptions,
  ResourcesOption,
  RouteOptions,
  LoopOptions,
  TenantsOptions,
  RunOptions,
  StageBreakerOptions,
  StageHedgeOptions,
  StageOptions,
  StageRetryOptions,
  StepOptions,
  TeeOptions,
  ToOptions,
} from "./pipeline/options.js";
export {
  type CollectOptions,
  Pipeline,
  type PlainOptions,
  type RoutedItem,
  type Sink,
} from "./pipeline/pipeline.js";
export { Run } from "./pipeline/run.js";
export type { ToReadableOptions } from "./pipeline/to-readable.js";
export type { ToWebOptions } from "./pipeline/to-web.js";
export type {
  RunOutcome,
  RunSummary,
  BatchStageDescription,
  FunctionStageDescription,
  StageDescription,
  StepStageDescription,
  RouteStageDescription,
  LoopStageDescription,
  StageKind,
  StageStats,
  ThreadStageStats,
  KeyStats,
  TenantStats,
  TeeStats,
} from "./contract/summary.js";
export { type Executor, isExecutor } from "./contract/executor.js";
export type {
  AttemptFailure,
  DeadLetter,
  DeadLetterContext,
  ErrorPolicy,
  Failure,
  MaybePromise,
  Result,
  Source,
  SourceContext,
  StageContext,
  StageFn,
  Success,
} from "./contract/types.js";
export { isTuneTrialError, TuneTrialError } from "./errors/tune-trial-error.js";
export {
  type DeadLetterAttempt,
  type DeadLetterFile,
  deadLetterFile,
  deadLetterFileDefaults,
  DeadLetterFileError,
  type DeadLetterFileOptions,
  type DeadLetterRecord,
  isDeadLetterFileError,
  replay,
  type ReplayOptions,
  serializeError,
  type SerializedError,
} from "./dead-letter/index.js";
export { formatTune } from "./tune/format-tune.js";
export { tune, type TuneResult, type TuneStopReason, type TuneTarget } from "./tune/tune.js";
export type { TuneOptions, TuneRow } from "./tune/tune-options.js";
export { type Clock, systemClock } from "./policy/clock.js";
export type { ExecuteOptions, Policy, PolicyContext, PolicyFunction } from "./policy/policy.js";
export { retry, retryDefaults, type RetryOptions } from "./policy/retry.js";
export {
  retryBudget,
  retryBudgetDefaults,
  type RetryBudget,
  type RetryBudgetOptions,
} from "./policy/retry-budget.js";
export { timeout, type TimeoutOptions } from "./policy/timeout.js";
export { wrap } from "./policy/wrap.js";
export { hedge, hedgeDefaults, type HedgeOptions } from "./policy/hedge.js";
export { HedgeBudget } from "./policy/hedge-budget.js";
export type { HedgeAfter } from "./policy/hedge-trigger.js";
export { breaker, type Breaker, type BreakerOptions } from "./policy/breaker.js";
export {
  breakerDefaults,
  type CircuitBreakerOptions,
  type CircuitState,
  type CircuitStateChange,
} from "./policy/breaker-settings.js";
export { singleflight } from "./policy/singleflight.js";
export {
  BrokenCircuitError,
  type BrokenCircuitDetail,
  isBrokenCircuitError,
} from "./errors/broken-circuit-error.js";
export {
  QuantileSketch,
  quantileSketchDefaults,
  type QuantileSketchOptions,
} from "./policy/quantile-sketch.js";
export {
  histogramDelta,
  histogramQuantile,
  type LatencyHistogram,
  latencyBounds,
} from "./observe/latency-histogram.js";
export {
  metricsDefaults,
  type MetricsOptions,
  type OnMetricsOptions,
} from "./observe/metrics-options.js";
export type { EventLoopDelay, RunMetrics, StageMetrics } from "./observe/run-metrics.js";
export type {
  CallSpan,
  CallTracer,
  StageCallHook,
  TracedCall,
  TracedStage,
} from "./contract/call-tracer.js";
export type { Logger, LogMethod } from "./observe/logger.js";
export { acknowledged } from "./ledger/acknowledged.js";
export type { AcknowledgedSource, Delivery, DeliverySource } from "./contract/acknowledged.js";
export { isShedItemError, ShedItemError } from "./errors/shed-item-error.js";
export {
  type Destination,
  type DestinationWriter,
  isDestination,
  kDestination,
} from "./contract/destination.js";
export { checkpoint, type Checkpoint, type CheckpointOptions } from "./checkpoint/checkpoint.js";
export type { CheckpointState, CheckpointStore } from "./checkpoint/checkpoint-store.js";
export { fileCheckpoint } from "./checkpoint/file-checkpoint.js";
export { fileLines, type FileLinesOptions } from "./checkpoint/file-lines.js";
export { seekable, type Positioned, type Seekable } from "./checkpoint/seekable.js";
