import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { connect as netConnect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./redis-server.js";

/**
 * A nats-server (JetStream on, file storage in a temporary folder) of a test's own on a free
 * loopback port, so a test may stop and start it; the machine's own NATS is never touched.
 */
export class OwnNats {
  readonly port: number;
  readonly server: string;
  readonly #dir = mkdtempSync(join(tmpdir(), "sluice-nats-"));
  #process: ChildProcess | undefined;

  private constructor(port: number) {
    this.port = port;
    this.server = `127.0.0.1:${port}`;
  }

  static async start(): Promise<OwnNats> {
    const server = new OwnNats(await freePort());
    await server.start();
    return server;
  }

  /** Starts the server (again) on the same port and storage. */
  async start(): Promise<void> {
    this.#process = spawn(
      "nats-server",
      ["-a", "127.0.0.1", "-p", String(this.port), "-js", "-sd", this.#dir],
      { stdio: "ignore" },
    );
    const end = Date.now() + 10_000;
    while (!(await listening(this.port))) {
      if (Date.now() > end) throw new Error(`nats-server did not listen on ${this.server}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Stops the server and waits for it to be gone. */
  async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    const child = this.#process;
    this.#process = undefined;
    if (child === undefined || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once("exit", () => resolve());
      child.kill(signal);
    });
  }

  /** Stops the server and deletes its storage. */
  async dispose(): Promise<void> {
    await this.stop("SIGKILL");
    rmSync(this.#dir, { recursive: true, force: true });
  }
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = netConnect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}
