// @ts-check
/**
 * Preloaded by compare.js (`node --import`): prints the process's peak RSS on stderr as it
 * exits, worker threads and libvips included.
 * @module
 */
process.on("exit", () => {
  process.stderr.write(`\npeak-rss-kb ${process.resourceUsage().maxRSS}\n`);
});
