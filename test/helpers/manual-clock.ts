// The manual clock is public now, as `fakeClock()` from `sluice/testing`; the tests keep
// their name for it.
export { FakeClock as ManualClock } from "../../src/testing/fake-clock.js";
export { settle } from "../../src/testing/settle.js";
