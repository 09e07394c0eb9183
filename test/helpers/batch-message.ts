import { type BatchMessage, ThreadKind } from "../../src/threads/protocol.js";

/**
 * A plain map batch as a thread stage sends it: items cloned (nothing packed), no timeout,
 * the first index 0. `claim` gives it a claim slot.
 */
export function batchMessage(options: {
  id: number;
  module: number;
  items: unknown[];
  claimStep?: number;
  claim?: number | undefined;
}): BatchMessage {
  const message: BatchMessage = {
    t: "batch",
    id: options.id,
    module: options.module,
    stage: "double",
    kind: ThreadKind.map,
    first: 0,
    indices: undefined,
    items: options.items,
    packed: undefined,
    timeout: 0,
    claimStep: options.claimStep ?? 1,
  };
  return options.claim === undefined ? message : { ...message, claim: options.claim };
}
