// @ts-check
/**
 * A loopback "internet" for the crawler: many hosts (one HTTP server each on 127.0.0.1),
 * each serving `/sitemap.txt` (its page paths, one per line) and `/page/<n>` (an HTML page
 * with a title and links). Most hosts answer in a few ms; some are slow; some answer 503 in
 * bursts; one answers its sitemap and then never answers a page.
 *
 * Run it on its own to crawl it from elsewhere: `node examples/crawler/internet.js`
 * prints the hosts' origins, one per line. The crawler starts its own in a worker thread
 * (`startInternetThread`), so its servers do not share the crawler's event loop.
 * @module
 */
import { once } from "node:events";
import { createServer } from "node:http";
import { pathToFileURL } from "node:url";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";

/**
 * @typedef {"normal" | "slow" | "bursty" | "hanging"} Behaviour
 * @typedef {{ hosts: number, pages: number, slow: number, bursty: number, hanging: number }} InternetShape
 */

/** @type {InternetShape} */
export const DEFAULT_SHAPE = { hosts: 40, pages: 500, slow: 4, bursty: 4, hanging: 1 };

/**
 * Which behaviour host `i` has: the last ones are the odd ones.
 * @param {number} i
 * @param {InternetShape} shape
 * @returns {Behaviour}
 */
export function behaviourOf(i, shape) {
  const fromEnd = shape.hosts - 1 - i;
  if (fromEnd < shape.hanging) return "hanging";
  if (fromEnd < shape.hanging + shape.bursty) return "bursty";
  if (fromEnd < shape.hanging + shape.bursty + shape.slow) return "slow";
  return "normal";
}

/**
 * Starts the hosts in this thread; resolves with their origins and a close().
 * @param {InternetShape} shape
 */
export async function startInternet(shape) {
  /** @type {import("node:http").Server[]} */
  const servers = [];
  /** @type {Set<import("node:http").ServerResponse>} */
  const hanging = new Set();
  /** TCP connections each host accepted: one shared keep-alive agent keeps them few. */
  const connections = Array.from({ length: shape.hosts }, () => 0);
  const started = Date.now();
  for (let i = 0; i < shape.hosts; i++) {
    const behaviour = behaviourOf(i, shape);
    const server = createServer((request, response) => {
      const url = request.url ?? "/";
      if (url === "/sitemap.txt") {
        const paths = Array.from({ length: shape.pages }, (_, n) => `/page/${n}`);
        response.writeHead(200, { "content-type": "text/plain" }).end(paths.join("\n"));
        return;
      }
      const match = /^\/page\/(\d+)$/.exec(url);
      if (match === null) {
        response.writeHead(404).end("not found");
        return;
      }
      if (behaviour === "hanging") {
        // Never answers: only the crawler's timeout ends the request.
        hanging.add(response);
        response.on("close", () => hanging.delete(response));
        return;
      }
      // Bursty hosts are down (503) for 300 ms of every second.
      if (behaviour === "bursty" && (Date.now() - started) % 1_000 < 300) {
        response.writeHead(503, { "retry-after": "1" }).end("busy");
        return;
      }
      const n = Number(match[1]);
      const delay = behaviour === "slow" ? 100 + ((n * 37) % 200) : (n * 7) % 5;
      setTimeout(
        () => response.writeHead(200, { "content-type": "text/html" }).end(page(i, n, shape)),
        delay,
      );
    });
    server.keepAliveTimeout = 30_000;
    server.on("connection", () => connections[i]++);
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    servers.push(server);
  }
  const origins = servers.map((server) => {
    const address = /** @type {import("node:net").AddressInfo} */ (server.address());
    return `http://127.0.0.1:${address.port}`;
  });
  return {
    origins,
    behaviours: origins.map((_, i) => behaviourOf(i, shape)),
    connections: () => [...connections],
    async close() {
      for (const response of hanging) response.destroy();
      await Promise.all(
        servers.map((server) => {
          server.closeAllConnections();
          return new Promise((resolve) => server.close(resolve));
        }),
      );
    },
  };
}

/**
 * An HTML page: a title, some text, and links to pages of this host and others.
 * @param {number} host
 * @param {number} n
 * @param {InternetShape} shape
 */
function page(host, n, shape) {
  const links = Array.from(
    { length: 5 + (n % 10) },
    (_, k) => `<a href="/page/${(n * 31 + k) % shape.pages}">page ${k}</a>`,
  );
  const words = "lorem ipsum dolor sit amet consectetur adipiscing elit ".repeat(20 + (n % 30));
  return `<!doctype html><html><head><title>Host ${host} page ${n}</title></head><body><h1>Page ${n}</h1><p>${words}</p>${links.join(" ")}</body></html>`;
}

/**
 * Starts the internet in a worker thread of its own, which does not keep the process alive:
 * resolves with the hosts' origins and behaviours.
 * @param {InternetShape} shape
 * @returns {Promise<{ origins: string[], behaviours: Behaviour[], worker: Worker }>}
 */
export async function startInternetThread(shape) {
  const worker = new Worker(new URL(import.meta.url), { workerData: shape });
  const [message] = await once(worker, "message");
  worker.unref();
  return { ...message, worker };
}

if (!isMainThread && parentPort !== null && workerData !== null) {
  const internet = await startInternet(/** @type {InternetShape} */ (workerData));
  parentPort.postMessage({ origins: internet.origins, behaviours: internet.behaviours });
} else if (
  isMainThread &&
  process.argv[1] !== undefined &&
  import.meta.url === pathToFileURL(process.argv[1]).href
) {
  const internet = await startInternet(DEFAULT_SHAPE);
  console.log(internet.origins.join("\n"));
  process.on("SIGINT", () => void internet.close());
}
