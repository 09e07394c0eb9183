import { Redis } from "ioredis";
import type { RedisStreamSettings } from "./redis-options.js";

/**
 * A connection of sluice's own: a copy of the user's client, or one to `url`. Commands wait
 * through reconnects (a broker restart) rather than fail after a few retries.
 */
export function connect(settings: RedisStreamSettings, role: string): Redis {
  const options = {
    connectionName: `sluice:${role}:${settings.consumer}`,
    maxRetriesPerRequest: null,
    lazyConnect: false,
  };
  return settings.client !== undefined
    ? settings.client.duplicate(options)
    : new Redis(settings.url, options);
}

/** Closes `client`: politely (`QUIT`) when it can, at once when that takes too long. */
export async function disconnect(client: Redis, graceMs = 1_000): Promise<void> {
  if (client.status === "end") return;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      client.quit().catch(() => {}),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, graceMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
    client.disconnect();
  }
}
