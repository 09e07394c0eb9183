import { randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { isIP } from "node:net";

/**
 * Whether `host` only accepts connections from this machine: `localhost`, `::1` or an
 * address in 127.0.0.0/8. Only such a dashboard may go without a token.
 */
export function isLoopbackHost(host: string): boolean {
  if (host === "localhost" || host === "::1") return true;
  return isIP(host) === 4 && host.startsWith("127.");
}

/** A fresh token for a dashboard bound beyond loopback: 24 random bytes, URL-safe base64. */
export function newToken(): string {
  return randomBytes(24).toString("base64url");
}

/**
 * Whether `request` carries `token`, as `?token=` in its URL or as `Authorization: Bearer`.
 * Compared in constant time, so the answer's timing says nothing about how much matched.
 */
export function hasToken(request: IncomingMessage, url: URL, token: string): boolean {
  const bearer = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? "")?.[1];
  const given = bearer ?? url.searchParams.get("token");
  if (given === null) return false;
  const expected = Buffer.from(token);
  const actual = Buffer.from(given);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/**
 * Whether a tokenless (loopback) dashboard should answer `request`: its `Host` header must
 * name a loopback address. A web page elsewhere could otherwise point a name it controls at
 * 127.0.0.1 (DNS rebinding) and read the stream or press the controls from the user's browser;
 * a token-protected dashboard does not need the check, since such a page cannot know the token.
 */
export function hasLoopbackHostHeader(request: IncomingMessage): boolean {
  const header = request.headers.host;
  if (header === undefined) return false;
  // `[::1]:8080`, `127.0.0.1:8080`, `localhost:8080`: drop the port, then the brackets.
  const name = header.replace(/:\d+$/, "").replace(/^\[(.*)\]$/, "$1");
  return isLoopbackHost(name.toLowerCase());
}

/**
 * Why `request` may not be answered, or undefined when it may: with a token, a request without
 * it is a 401; without one (loopback), a request whose `Host` is not loopback is a 403.
 */
export function accessDenied(
  request: IncomingMessage,
  url: URL,
  token: string | undefined,
): { readonly status: 401 | 403; readonly error: string } | undefined {
  if (token !== undefined) {
    if (hasToken(request, url, token)) return undefined;
    return {
      status: 401,
      error:
        "This dashboard needs the token printed when it started: add ?token=… to the URL or send Authorization: Bearer …",
    };
  }
  if (hasLoopbackHostHeader(request)) return undefined;
  return {
    status: 403,
    error:
      "This dashboard answers only requests addressed to a loopback host (127.0.0.1, localhost, [::1])",
  };
}
