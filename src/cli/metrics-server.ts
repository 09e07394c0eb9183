import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { RunMetrics } from "../observe/run-metrics.js";

/** A `/metrics` endpoint serving one run's Prometheus exposition. */
export interface MetricsServer {
  /** `http://127.0.0.1:<port>/metrics`. */
  readonly url: string;
  /** Stops serving and unregisters the run; resolves once the server is closed. */
  close(): Promise<void>;
}

/**
 * Serves `run`'s metrics at `http://127.0.0.1:<port>/metrics` (port 0: a free one) from a
 * registry of its own. Loads `prom-client` and `sluice/prometheus` only when called, so a
 * `sluice run` without `--metrics-port` never loads them. Other paths answer 404.
 */
export async function serveMetrics(
  run: { metrics(): RunMetrics },
  pipeline: string,
  port: number,
): Promise<MetricsServer> {
  const [{ Registry }, { prometheus }] = await Promise.all([
    import("prom-client"),
    import("../prometheus/index.js"),
  ]);
  const registry = new Registry();
  const unexpose = prometheus(run, { registry, pipeline });
  const server: Server = createServer((request, response) => {
    if (request.method !== "GET" || request.url?.split("?")[0] !== "/metrics") {
      response.writeHead(404, { "content-type": "text/plain" }).end("Not found: try /metrics\n");
      return;
    }
    registry.metrics().then(
      (text) => response.writeHead(200, { "content-type": registry.contentType }).end(text),
      (error: unknown) =>
        response.writeHead(500, { "content-type": "text/plain" }).end(`${String(error)}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port: chosen } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${chosen}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        unexpose();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
