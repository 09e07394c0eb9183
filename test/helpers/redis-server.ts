import { Redis } from "ioredis";
import { freePort, OwnServer } from "./own-server.js";

/**
 * A redis-server of a test's own on a free loopback port, every write fsynced to its
 * append-only file, so stopping and starting it loses nothing.
 */
export class OwnRedis extends OwnServer {
  readonly url: string;

  private constructor(port: number) {
    super(port, "redis");
    this.url = `redis://127.0.0.1:${port}`;
  }

  static async start(): Promise<OwnRedis> {
    const server = new OwnRedis(await freePort());
    await server.start();
    return server;
  }

  protected command(): [string, string[]] {
    return [
      "redis-server",
      [
        "--port",
        String(this.port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "yes",
        "--appendfsync",
        "always",
        "--dir",
        this.dir,
      ],
    ];
  }

  protected async answers(): Promise<boolean> {
    const client = new Redis(this.url, { lazyConnect: true, retryStrategy: () => null });
    try {
      await client.connect();
      await client.ping();
      return true;
    } catch {
      return false;
    } finally {
      client.disconnect();
    }
  }
}
