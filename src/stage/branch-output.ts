import type { RunControl } from "../contract/run-control.js";

/**
 * The outputs of runs inside a stage (a route's branches, a loop's body) as the stage's own
 * output: a run that fails fails the stage's run with its own error (not as a failing
 * source), and the outputs then end.
 */
export function branchOutput(
  outputs: AsyncIterator<unknown>,
  run: RunControl,
): AsyncIterator<unknown> {
  return {
    next: async () => {
      try {
        return await outputs.next();
      } catch (error) {
        run.fail(error);
        return { done: true, value: undefined };
      }
    },
    return: async () => (await outputs.return?.()) ?? { done: true, value: undefined },
  };
}
