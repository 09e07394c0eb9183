import type { TestContext } from "node:test";
import { jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";

/** The machine's NATS, as the tests use it. */
export const NATS_SERVER = "127.0.0.1:4222";

/**
 * A connection to the machine's NATS (JetStream on) for a test, and a stream-name prefix of
 * its own whose streams are deleted afterwards; `undefined` (the test skipped, saying how to
 * start NATS) when it is not running on a developer's machine. In CI a missing NATS fails.
 */
export async function testNats(
  t: TestContext,
): Promise<{ connection: NatsConnection; manager: JetStreamManager; prefix: string } | undefined> {
  let connection: NatsConnection;
  try {
    connection = await connect({ servers: NATS_SERVER, reconnect: false, timeout: 2_000 });
  } catch (error) {
    if (process.env["CI"] === "true") throw error;
    t.skip(
      "NATS is not running on 127.0.0.1:4222: start it with `nats-server -js -a 127.0.0.1 -p 4222`",
    );
    return undefined;
  }
  const manager = await jetstreamManager(connection);
  const prefix = `SLUICE_TEST_${process.pid}_${Math.random().toString(36).slice(2, 8).toUpperCase()}`;
  t.after(async () => {
    for await (const name of manager.streams.names()) {
      // The partition leases live in a KV bucket named after the stream: `KV_sluice-leases-<prefix>…`.
      if (name.includes(prefix)) await manager.streams.delete(name);
    }
    await connection.close();
  });
  return { connection, manager, prefix };
}
