import assert from "node:assert/strict";
import type { IncomingMessage } from "node:http";
import { describe, test } from "node:test";
import {
  hasLoopbackHostHeader,
  hasToken,
  isLoopbackHost,
  newToken,
} from "../../src/dashboard/access.js";

function request(headers: Record<string, string>): IncomingMessage {
  return { headers } as unknown as IncomingMessage;
}

describe("isLoopbackHost", () => {
  for (const host of ["127.0.0.1", "127.1.2.3", "localhost", "::1"]) {
    test(`${host} is loopback`, () => assert.equal(isLoopbackHost(host), true));
  }
  for (const host of ["0.0.0.0", "::", "192.168.1.10", "example.com", "127.example.com"]) {
    test(`${host} is not`, () => assert.equal(isLoopbackHost(host), false));
  }
});

describe("newToken", () => {
  test("makes a different URL-safe token of 32 characters each time", () => {
    const a = newToken();
    const b = newToken();
    assert.match(a, /^[A-Za-z0-9_-]{32}$/);
    assert.notEqual(a, b);
  });
});

describe("hasToken", () => {
  const token = "s3cret-token";
  test("takes the token from ?token= or from Authorization: Bearer", () => {
    assert.equal(hasToken(request({}), new URL(`http://h/?token=${token}`), token), true);
    const bearer = request({ authorization: `Bearer ${token}` });
    assert.equal(hasToken(bearer, new URL("http://h/events"), token), true);
  });

  test("refuses a missing, wrong, shorter or longer token", () => {
    assert.equal(hasToken(request({}), new URL("http://h/"), token), false);
    for (const given of ["wrong-token!", "s3cret", `${token}x`, ""]) {
      assert.equal(hasToken(request({}), new URL(`http://h/?token=${given}`), token), false);
      assert.equal(
        hasToken(request({ authorization: `Bearer ${given}` }), new URL("http://h/"), token),
        false,
      );
    }
  });
});

describe("hasLoopbackHostHeader", () => {
  for (const host of ["127.0.0.1:8080", "localhost:3000", "[::1]:9000", "LOCALHOST"]) {
    test(`answers Host: ${host}`, () =>
      assert.equal(hasLoopbackHostHeader(request({ host })), true));
  }
  for (const host of ["evil.example:8080", "192.168.0.2:80", ""]) {
    test(`refuses Host: ${JSON.stringify(host)}`, () =>
      assert.equal(hasLoopbackHostHeader(request({ host })), false));
  }
  test("refuses a request without Host", () =>
    assert.equal(hasLoopbackHostHeader(request({})), false));
});
