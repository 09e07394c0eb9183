import type { TestContext } from "node:test";
import { Redis } from "ioredis";

/** The machine's Redis, as the tests use it. */
export const REDIS_URL = "redis://127.0.0.1:6379";

/**
 * A client of the machine's Redis for a test, with a key prefix of the test's own that is
 * deleted afterwards; `undefined` (and the test skipped, saying how to start Redis) when
 * Redis is not running on a developer's machine. In CI (`CI=true`) a missing Redis fails.
 */
export async function testRedis(
  t: TestContext,
): Promise<{ client: Redis; prefix: string } | undefined> {
  const client = new Redis(REDIS_URL, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    client.disconnect();
    if (process.env["CI"] === "true") throw error;
    t.skip(
      "Redis is not running on 127.0.0.1:6379: start it with `redis-server --daemonize yes --port 6379`",
    );
    return undefined;
  }
  const prefix = `sluice-test:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;
  t.after(async () => {
    const keys = await client.keys(`${prefix}*`);
    if (keys.length > 0) await client.del(...keys);
    client.disconnect();
  });
  return { client, prefix };
}
