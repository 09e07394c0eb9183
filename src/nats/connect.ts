import { connect as natsConnect } from "@nats-io/transport-node";
import {
  type JetStreamManager,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
} from "@nats-io/jetstream";
import type { JetStreamSettings } from "./jetstream-options.js";

/** A connection of sluice's own, reconnecting for ever (a broker restart is waited out). */
export function connect(settings: JetStreamSettings, role: string) {
  return natsConnect({
    servers: settings.servers,
    name: `sluice:${role}`,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
  });
}

/** Ms as NATS's nanoseconds. */
export function nanos(ms: number): number {
  return Math.round(ms * 1_000_000);
}

/** Creates stream `name` over `subjects` unless it exists (a file-backed work queue's log). */
export async function ensureStream(
  manager: JetStreamManager,
  name: string,
  subjects: string[],
): Promise<void> {
  try {
    await manager.streams.info(name);
  } catch {
    await manager.streams.add({
      name,
      subjects,
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
    });
  }
}

export { jetstreamManager };
