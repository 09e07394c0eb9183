import type { RunControl } from "../contract/run-control.js";
import type { StageInput } from "../contract/stage.js";
import type { FunctionStageSpec } from "../contract/stage-spec.js";

/**
 * Sets a stage's input to shed load as its `shed` option says. An input read on demand (a
 * sync source) has no way to: it never fills, so there is nothing to shed. An `onShed` that
 * throws fails the run (the error names the stage, the throw is its cause).
 */
export function shedInput(
  input: StageInput<unknown>,
  spec: FunctionStageSpec,
  run: RunControl,
): void {
  if (spec.shed === undefined || input.shedWhenFull === undefined) return;
  const onShed = spec.onShed;
  input.shedWhenFull(
    spec.shed,
    onShed === undefined
      ? () => {}
      : (item) => {
          try {
            onShed(item);
          } catch (error) {
            run.fail(new Error(`Stage "${spec.name}": its onShed threw`, { cause: error }));
          }
        },
  );
}

/** Items the stage's input shed so far. */
export function shedCount(input: StageInput<unknown>): number {
  return input.shed ?? 0;
}
