import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

/** A free loopback TCP port (the OS picks one; it is closed again at once). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * A server process of a test's own on a free loopback port, its data in a temporary folder,
 * so a test may stop and start it (a broker restart) without touching the machine's own.
 */
export abstract class OwnServer {
  readonly port: number;
  /** Where the server keeps its data, from one start to the next. */
  protected readonly dir: string;
  #process: ChildProcess | undefined;

  protected constructor(port: number, name: string) {
    this.port = port;
    this.dir = mkdtempSync(join(tmpdir(), `sluice-${name}-`));
  }

  /** The command and its arguments that start the server on {@link port} and {@link dir}. */
  protected abstract command(): [string, string[]];

  /** Whether the server answers now. */
  protected abstract answers(): Promise<boolean>;

  /** Starts the server (again) on the same port and data; resolves once it answers. */
  async start(): Promise<void> {
    const [command, args] = this.command();
    this.#process = spawn(command, args, { stdio: "ignore" });
    const end = Date.now() + 10_000;
    while (!(await this.answers())) {
      if (Date.now() > end) throw new Error(`${command} did not answer on port ${this.port}`);
      await sleep(50);
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

  /** Stops the server and deletes its data. */
  async dispose(): Promise<void> {
    await this.stop("SIGKILL");
    rmSync(this.dir, { recursive: true, force: true });
  }
}
