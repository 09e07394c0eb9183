import { previewValue } from "../internal/describe-value.js";
import { describeCause } from "./describe-cause.js";
import { brandedInstanceCheck, hasSluiceCode, kErrorCode } from "./sluice-error.js";

const CODE = "ERR_SLUICE_STAGE_FAILED";

/**
 * What a run throws when a stage with `onError: "fail"` sees its function throw or reject:
 * the original error is `cause` (with its stack), and the failing item, its index in the
 * stage's input and the stage's name are attached. The message names the stage, the index
 * and a short preview of the item (cut at 60 characters), then the cause's message.
 */
export class StageError<Item = unknown> extends Error {
  /** Always `"ERR_SLUICE_STAGE_FAILED"`. */
  readonly code = CODE;
  /** The name of the stage whose function failed. */
  readonly stage: string;
  /** The item the function was called with. */
  readonly item: Item;
  /** The item's position in the stage's input (0-based). */
  readonly index: number;

  declare readonly [kErrorCode]: string;

  /** `action` names what failed, for messages such as `Stage "s" deadLetter threw on item #3`. */
  constructor(stage: string, item: Item, index: number, cause: unknown, action = "failed on") {
    super(
      `Stage "${stage}" ${action} item #${index} ${previewValue(item)}: ${describeCause(cause)}`,
      { cause },
    );
    this.name = "StageError";
    this.stage = stage;
    this.item = item;
    this.index = index;
    Object.defineProperty(this, kErrorCode, { value: CODE });
  }

  static override [Symbol.hasInstance] = brandedInstanceCheck(CODE);
}

/** Returns whether `value` is a {@link StageError} (from any copy of sluice). */
export function isStageError(value: unknown): value is StageError {
  return hasSluiceCode(value, CODE);
}
