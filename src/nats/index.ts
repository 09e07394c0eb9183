export { jetstream } from "./jetstream.js";
export type { JetStreamOptions } from "./jetstream-options.js";
