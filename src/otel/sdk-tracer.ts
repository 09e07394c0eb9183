import { type Tracer, type TracerProvider, trace } from "@opentelemetry/api";

/** The part of the API's `ProxyTracerProvider` that tells whether an SDK stands behind it. */
interface Delegating {
  getDelegateTracer(name: string, version?: string): Tracer | undefined;
}

/**
 * The registered SDK's tracer named `name`, or `undefined` when no SDK is registered. A
 * check, and nothing more, when none is.
 *
 * `@opentelemetry/api` always hands out a `ProxyTracerProvider`: before an SDK registers it
 * delegates to nothing (its tracers are no-ops), after it delegates to the SDK's provider.
 * Asking the proxy for its delegate's tracer answers both questions at once. A probe span
 * would answer too, but an SDK would see (and may export) the probe. Taking the SDK's tracer
 * rather than a proxy tracer also saves a hop per span.
 */
export function sdkTracer(name: string, version: string | undefined): Tracer | undefined {
  const provider: TracerProvider & Partial<Delegating> = trace.getTracerProvider();
  if (typeof provider.getDelegateTracer === "function") {
    return provider.getDelegateTracer(name, version);
  }
  // A provider registered some other way than the API's proxy: an SDK of its own.
  return provider.getTracer(name, version);
}
