import { RunControl } from "../../src/contract/run-control.js";

/** A RunControl that records failures, for driving a source or stage without a run. */
export function fakeRun(): RunControl & { readonly failures: unknown[] } {
  const controller = new AbortController();
  const failures: unknown[] = [];
  const run = new RunControl(controller.signal, (error) => {
    failures.push(error);
    run.stopped = true;
    controller.abort(error);
  });
  return Object.assign(run, { failures });
}
