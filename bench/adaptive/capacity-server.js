/**
 * A loopback HTTP service of limited capacity, for the adaptive-concurrency benchmark: it
 * serves at most `capacity` requests at once, each for `serviceMs`; the rest wait in a FIFO
 * queue, so latency grows with the queue, as a saturated backend's does. Prints its port on
 * stdout, then serves until killed (or its parent's stdin closes).
 * Run: `node bench/adaptive/capacity-server.js <capacity> <serviceMs>`.
 * @module
 */
import { createServer } from "node:http";

const capacity = Number(process.argv[2] ?? 10);
const serviceMs = Number(process.argv[3] ?? 10);

let active = 0;
/** Requests waiting for a place, oldest first. */
const queue = [];

const server = createServer((_req, res) => {
  const serve = () => {
    active++;
    setTimeout(() => {
      res.end("ok");
      active--;
      const next = queue.shift();
      if (next) next();
    }, serviceMs);
  };
  if (active < capacity) serve();
  else queue.push(serve);
});
server.keepAliveTimeout = 60_000;
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`${server.address().port}\n`);
});
// The benchmark holds our stdin: when it ends (or dies), so do we.
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
