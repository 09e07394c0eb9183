// The leak check is public now, as `assertNoLeaks()` from `sluice/testing`.
export { assertNoLeaks } from "../../src/testing/assert-no-leaks.js";
export { countResources, settleTurns } from "../../src/testing/settle.js";
