import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { InvalidArgumentError } from "commander";
import {
  parseConcurrency,
  parseDurationFlag,
  parseHost,
  parseInteger,
  parseNumber,
  parsePort,
} from "../../src/cli/option-parsers.js";

describe("parseInteger", () => {
  test("accepts plain decimal digits at or above the minimum", () => {
    assert.equal(parseInteger("3000", 1), 3000);
    assert.equal(parseInteger("0", 0), 0);
  });

  for (const bad of ["0", "abc", "", " 7", "1e3", "0x10", "-1", "1.5", "9007199254740993"]) {
    test(`refuses ${JSON.stringify(bad)}`, () => {
      assert.throws(
        () => parseInteger(bad, 1),
        (error: unknown) =>
          error instanceof InvalidArgumentError && error.message === "Expected an integer >= 1.",
      );
    });
  }
});

describe("parseConcurrency", () => {
  test('passes "cpus" and numbers on for the library to validate', () => {
    assert.equal(parseConcurrency("cpus"), "cpus");
    assert.equal(parseConcurrency("64"), 64);
    assert.equal(parseConcurrency("0"), 0);
    assert.equal(parseConcurrency("2.5"), 2.5);
  });

  for (const bad of ["many", "", "  ", "CPUS"]) {
    test(`refuses ${JSON.stringify(bad)}`, () => {
      assert.throws(() => parseConcurrency(bad), {
        message: 'Expected an integer >= 1 or "cpus".',
      });
    });
  }
});

describe("parseNumber", () => {
  test("accepts any number, leaving the range to the library", () => {
    assert.equal(parseNumber("0.8"), 0.8);
    assert.equal(parseNumber("2"), 2);
    assert.equal(parseNumber("-1"), -1);
  });

  for (const bad of ["", "  ", "abc", "0.8x"]) {
    test(`refuses ${JSON.stringify(bad)}`, () => {
      assert.throws(() => parseNumber(bad), {
        constructor: InvalidArgumentError,
        message: "Expected a number.",
      });
    });
  }
});

describe("parseDurationFlag", () => {
  test("a bare number is milliseconds", () => {
    assert.equal(parseDurationFlag("250"), 250);
    assert.equal(parseDurationFlag("12.5"), 12.5);
  });

  test("anything else goes to the library as text, to check and explain", () => {
    assert.equal(parseDurationFlag("250ms"), "250ms");
    assert.equal(parseDurationFlag("1s"), "1s");
    assert.equal(parseDurationFlag("fast"), "fast");
  });
});

describe("parsePort", () => {
  test("accepts 0 to 65535", () => {
    assert.equal(parsePort("0"), 0);
    assert.equal(parsePort("8080"), 8080);
    assert.equal(parsePort("65535"), 65535);
  });

  for (const bad of ["65536", "-1", "abc", "", "1.5", "0x50", " 80", "1e3"]) {
    test(`refuses ${JSON.stringify(bad)}`, () => {
      assert.throws(() => parsePort(bad), {
        message: "Expected a port number from 0 to 65535.",
      });
    });
  }
});

describe("parseHost", () => {
  test("passes an address or a name on", () => {
    assert.equal(parseHost("0.0.0.0"), "0.0.0.0");
    assert.equal(parseHost("::"), "::");
    assert.equal(parseHost("box.local"), "box.local");
  });

  for (const bad of ["", " ", "a b"]) {
    test(`refuses ${JSON.stringify(bad)}`, () => {
      assert.throws(() => parseHost(bad), {
        message: "Expected a host name or IP address, such as 0.0.0.0.",
      });
    });
  }
});
