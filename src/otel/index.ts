// sluice/otel: OpenTelemetry spans for a run's calls, on @opentelemetry/api. Loads the API;
// the core import does not.
export { otel } from "./otel.js";
export type { OtelOptions } from "./otel-options.js";
