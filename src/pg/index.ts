export { pgCheckpoint, type PgCheckpointOptions } from "./pg-checkpoint.js";
export { pgKeyset, type PgKeysetOptions } from "./pg-keyset.js";
export type { PgConnection } from "./connection.js";
