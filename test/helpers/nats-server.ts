import { connect as netConnect } from "node:net";
import { freePort, OwnServer } from "./own-server.js";

/** A nats-server (JetStream on, file storage) of a test's own on a free loopback port. */
export class OwnNats extends OwnServer {
  readonly server: string;

  private constructor(port: number) {
    super(port, "nats");
    this.server = `127.0.0.1:${port}`;
  }

  static async start(): Promise<OwnNats> {
    const server = new OwnNats(await freePort());
    await server.start();
    return server;
  }

  protected command(): [string, string[]] {
    return ["nats-server", ["-a", "127.0.0.1", "-p", String(this.port), "-js", "-sd", this.dir]];
  }

  protected answers(): Promise<boolean> {
    return new Promise((resolve) => {
      const socket = netConnect(this.port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
  }
}
