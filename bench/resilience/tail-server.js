/**
 * A loopback HTTP service with a long tail, for R1 (tail at scale): each request to `/` is
 * answered after 5–10 ms, or, for 2% of requests, after 500–1000 ms. Which requests are slow
 * is drawn per request received, in arrival order, from a seeded PRNG: every run sees the same
 * sequence of delays, and whether a request is a hedge plays no part. `/warm` answers at once
 * and draws nothing (the client's untimed warm-up). It counts the requests it receives.
 *
 * Prints its port on stdout, then serves until its stdin ends (the benchmark holds it); it then
 * prints one JSON line of counts (`received`, `slow`, `cancelled`: requests whose client went
 * away before the answer, e.g. a hedge's loser) and exits.
 * Run: `node bench/resilience/tail-server.js [seed] [slowShare] [fastMs] [slowMs]` (defaults 42,
 * 0.02, 5, 500: a fast answer takes [fastMs, 2 × fastMs) ms, a slow one [slowMs, 2 × slowMs)).
 * @module
 */
import { createServer } from "node:http";
import { prng } from "../lib/source.js";

const [seed = 42, SLOW_SHARE = 0.02, FAST_MS = 5, SLOW_MS = 500] = process.argv
  .slice(2)
  .map(Number);

const next = prng(seed);
const uniform = () => next() / 2 ** 32;

let received = 0;
let slow = 0;
let cancelled = 0;

const server = createServer((req, res) => {
  if (req.url === "/warm") {
    res.end("ok");
    return;
  }
  received++;
  const isSlow = uniform() < SLOW_SHARE;
  if (isSlow) slow++;
  const delay = isSlow ? SLOW_MS * (1 + uniform()) : FAST_MS * (1 + uniform());
  const timer = setTimeout(() => res.end("ok"), delay);
  // A client that gave up (a hedge's loser, aborted) frees its timer: the server does no
  // work for nobody, and the event loop is not kept busy by answers nobody reads.
  res.on("close", () => {
    if (!res.writableFinished) {
      cancelled++;
      clearTimeout(timer);
    }
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`${server.address().port}\n`);
});
// The benchmark holds our stdin: when it ends (or the benchmark dies), report and exit.
process.stdin.on("end", () => {
  process.stdout.write(`${JSON.stringify({ received, slow, cancelled })}\n`);
  process.exit(0);
});
process.stdin.resume();
