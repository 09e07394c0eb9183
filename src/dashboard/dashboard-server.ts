import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { accessDenied, isLoopbackHost, newToken } from "./access.js";
import { type Assets, defaultAssetsDir, loadAssets } from "./assets.js";
import { isControlName, runControl, type SteeredRun } from "./controls.js";
import { EventStream, type StreamedRun } from "./event-stream.js";

/** What the dashboard watches and steers: a `Run` has all of it. */
export type DashboardRun = StreamedRun & SteeredRun;

/** Options of {@link serveDashboard}. */
export interface DashboardOptions {
  /** The name in the page's title: `sluice run` passes the module's file name. */
  readonly pipeline: string;
  /** The TCP port; 0 picks a free one. */
  readonly port: number;
  /**
   * The address to listen on. Default `127.0.0.1`. Any address that is not loopback gets a
   * random token, which every request must then carry.
   */
  readonly host?: string;
  /** @internal Ms between frames (default 1,000); tests go faster. */
  readonly intervalMs?: number;
  /** @internal The built page's folder (default `page/` beside this module). */
  readonly assetsDir?: string;
}

/** A running dashboard. */
export interface DashboardServer {
  /** The page's URL, with `?token=…` when it needs one. */
  readonly url: string;
  /** The token every request must carry, or undefined on loopback. */
  readonly token: string | undefined;
  /**
   * Ends the pages' event streams (each gets an `end` event), stops listening and resolves
   * once every connection has closed. Safe to call more than once.
   */
  close(): Promise<void>;
}

const DEFAULT_HOST = "127.0.0.1";
/** How long `close()` lets open connections finish before cutting them. */
const CLOSE_GRACE_MS = 1_000;

/**
 * Serves the live dashboard of `run` over HTTP: the page (`/`, `/dashboard.js`,
 * `/dashboard.css`), its event stream (`/events`, one frame a second) and the controls
 * (`POST /control/pause`, `/control/resume`, `/control/concurrency`). Plain `node:http`: one
 * server, no framework.
 *
 * On loopback (the default) it answers requests whose `Host` names a loopback address; bound
 * elsewhere it makes a token and answers 401 to any request without it (`?token=` or
 * `Authorization: Bearer`). Resolves once it listens.
 *
 * @throws {Error} when the page is not built or the port cannot be bound (the run is not
 *   touched; the caller decides what to do with it).
 */
export async function serveDashboard(
  run: DashboardRun,
  options: DashboardOptions,
): Promise<DashboardServer> {
  const host = options.host ?? DEFAULT_HOST;
  const token = isLoopbackHost(host) ? undefined : newToken();
  const query = token === undefined ? "" : `?token=${token}`;
  const assets = await loadAssets(options.assetsDir ?? defaultAssetsDir, query);
  const stream = new EventStream(run, options.pipeline, options.intervalMs ?? 1_000);
  const server: Server = createServer((request, response) => {
    route(request, response, { run, stream, assets, token }).catch((error: unknown) => {
      if (!response.headersSent) reply(response, 500, { error: String(error) });
      else response.destroy();
    });
  });
  try {
    await listen(server, options.port, host);
  } catch (error) {
    stream.close();
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  const shownHost = host.includes(":") ? `[${host}]` : host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${shownHost}:${port}/${query}`,
    token,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        stream.close();
        // Ended streams drain and close their own connections (`connection: close`); idle
        // keep-alive ones close at once; anything still open after the grace is cut.
        const force = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        server.closeIdleConnections();
      })),
  };
}

interface Context {
  readonly run: DashboardRun;
  readonly stream: EventStream;
  readonly assets: Assets;
  readonly token: string | undefined;
}

async function route(
  request: IncomingMessage,
  response: ServerResponse,
  { run, stream, assets, token }: Context,
): Promise<void> {
  const url = new URL(request.url ?? "/", "http://dashboard.invalid");
  const denied = accessDenied(request, url, token);
  if (denied !== undefined) return reply(response, denied.status, { error: denied.error });
  const method = request.method ?? "GET";
  if (url.pathname.startsWith("/control/")) {
    const name = url.pathname.slice("/control/".length);
    if (!isControlName(name)) return reply(response, 404, { error: `No control named "${name}"` });
    if (method !== "POST") return reply(response, 405, { error: "Controls take POST" });
    // A page on another site may send a simple cross-origin POST (no preflight) but not one
    // with a JSON content type; refusing any other type and any foreign Origin keeps other
    // sites' pages from pressing the controls through the user's browser.
    const origin = request.headers.origin;
    if (origin !== undefined && origin !== `http://${request.headers.host ?? ""}`) {
      return reply(response, 403, { error: `Controls do not take requests from ${origin}` });
    }
    if (!/^application\/json\b/i.test(request.headers["content-type"] ?? "")) {
      return reply(response, 415, {
        error: "Controls take a JSON body (content-type: application/json)",
      });
    }
    const result = await runControl(run, name, request);
    return reply(response, result.status, result.body);
  }
  if (method !== "GET" && method !== "HEAD") {
    return reply(response, 405, { error: `${url.pathname} takes GET` });
  }
  if (url.pathname === "/events") {
    stream.add(response);
    return;
  }
  const asset = assets.get(url.pathname);
  if (asset === undefined) return reply(response, 404, { error: `Not found: ${url.pathname}` });
  response.writeHead(200, {
    "content-type": asset.contentType,
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "content-security-policy":
      "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'",
  });
  response.end(method === "HEAD" ? undefined : asset.body);
}

function reply(response: ServerResponse, status: number, body: object): void {
  response
    .writeHead(status, {
      "content-type": "application/json; charset=utf-8",
      "cache-control": "no-store",
    })
    .end(`${JSON.stringify(body)}\n`);
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
}
