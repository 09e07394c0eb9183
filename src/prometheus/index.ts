// sluice/prometheus: a run's metrics in a prom-client Registry. Loads prom-client; the core
// import does not.
export { type MetricsSource, prometheus, type PrometheusOptions } from "./prometheus.js";
