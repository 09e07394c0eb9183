import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  type Sampler,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";

/** A tracer provider (the SDK's) that keeps every ended span in memory, and its tracer. */
export function recorder(sampler?: Sampler) {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    ...(sampler === undefined ? {} : { sampler }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  return {
    provider,
    tracer: provider.getTracer("test"),
    spans: (): ReadableSpan[] => exporter.getFinishedSpans(),
  };
}
