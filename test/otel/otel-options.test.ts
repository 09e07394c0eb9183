import { describe, test } from "node:test";
import type { Tracer } from "@opentelemetry/api";
import { otel } from "../../src/otel/index.js";
import { assertInvalid } from "../helpers/assert-invalid.js";

describe("otel() options", () => {
  test("an options value that is not an object", () => {
    assertInvalid(
      () => otel(5 as never),
      "Expected `otel` to be an options object, got `5` (number)",
      "otel",
    );
  });

  test("an unknown option, with a hint", () => {
    assertInvalid(
      () => otel({ sampleRate: 0.5 } as never),
      "Unknown option `otel.sampleRate`; did you mean `sampleRatio`? Known options: tracer, sampleRatio, pipeline, attributes",
      "otel.sampleRate",
    );
  });

  for (const [value, shown] of [
    [-0.1, "`-0.1` (number)"],
    [1.5, "`1.5` (number)"],
    [Number.NaN, "`NaN` (number)"],
    ["0.5", '`"0.5"` (string)'],
  ] as const) {
    test(`sampleRatio ${shown}`, () => {
      assertInvalid(
        () => otel({ sampleRatio: value as number }),
        `Expected \`otel.sampleRatio\` to be a number from 0 to 1, got ${shown}`,
        "otel.sampleRatio",
      );
    });
  }

  test("a tracer that is not one", () => {
    assertInvalid(
      () => otel({ tracer: {} as Tracer }),
      "Expected `otel.tracer` to be an OpenTelemetry Tracer (with startSpan()), got `{}` (object)",
      "otel.tracer",
    );
  });

  test("an empty pipeline name", () => {
    assertInvalid(
      () => otel({ pipeline: "" }),
      'Expected `otel.pipeline` to be a non-empty string, got `""` (string)',
      "otel.pipeline",
    );
  });

  test("attributes that are not a function", () => {
    assertInvalid(
      () => otel({ attributes: { a: 1 } as never }),
      'Expected `otel.attributes` to be a function, got `{"a":1}` (object)',
      "otel.attributes",
    );
  });

  test("the bounds and the defaults are accepted", () => {
    otel();
    otel({});
    otel({ sampleRatio: 0 });
    otel({ sampleRatio: 1, pipeline: "p", attributes: () => undefined });
  });
});
