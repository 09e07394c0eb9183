export {
  assertNoLeaks,
  assertNoLeaksDefaults,
  type AssertNoLeaksOptions,
} from "./assert-no-leaks.js";
export { chaos, chaosDefaults, type ChaosOptions, type ChaosPolicy } from "./chaos.js";
export { ChaosError, isChaosError } from "./chaos-error.js";
export { FakeClock, fakeClock } from "./fake-clock.js";
