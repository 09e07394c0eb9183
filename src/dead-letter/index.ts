// The dead-letter file and its replay: node: builtins only, so they belong to the core import.
export {
  type DeadLetterFile,
  deadLetterFile,
  deadLetterFileDefaults,
  type DeadLetterFileOptions,
} from "./dead-letter-file.js";
export { DeadLetterFileError, isDeadLetterFileError } from "../errors/dead-letter-file-error.js";
export type { DeadLetterAttempt, DeadLetterRecord } from "./dead-letter-record.js";
export { replay, type ReplayOptions } from "./replay.js";
export { serializeError, type SerializedError } from "./serialize-error.js";
