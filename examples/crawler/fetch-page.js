// @ts-check
/**
 * Fetching over one shared undici agent: keep-alive connections pooled per host, never a
 * client per request.
 * @module
 */
import { Agent, request } from "undici";

/** An answer that was not 200: its class in the summary is `HttpError`. */
export class HttpError extends Error {
  /**
   * @param {string} url
   * @param {number} status
   */
  constructor(url, status) {
    super(`${url} answered ${status}`);
    this.name = "HttpError";
    this.status = status;
  }
}

/**
 * The one agent of a crawl: up to `connections` keep-alive sockets per host.
 * @param {number} connections
 */
export function sharedAgent(connections) {
  return new Agent({ connections, keepAliveTimeout: 10_000, keepAliveMaxTimeout: 30_000 });
}

/**
 * GETs `url`'s body as text; a status other than 200 throws an {@link HttpError}.
 * @param {Agent} agent
 * @param {string} url
 * @param {AbortSignal} signal
 */
export async function fetchText(agent, url, signal) {
  const response = await request(url, { dispatcher: agent, signal });
  if (response.statusCode !== 200) {
    await response.body.dump();
    throw new HttpError(url, response.statusCode);
  }
  return response.body.text();
}
