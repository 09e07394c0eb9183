import { type Command, Option } from "commander";
import {
  type DashboardRun,
  type DashboardServer,
  serveDashboard,
} from "../dashboard/dashboard-server.js";
import type { CommandIo } from "./demo.js";
import { exitCodes } from "./exit-codes.js";
import { parseHost, parsePort } from "./option-parsers.js";

/** The dashboard's flags, as commander parses them for `sluice run` and `sluice demo`. */
export interface DashboardFlags {
  /** `--dashboard` alone is `true` (a free port); with a value, that port. */
  readonly dashboard?: number | true;
  /** `--host <host>`: where the dashboard listens; only with `--dashboard`. */
  readonly host?: string;
}

/** Adds `--dashboard [port]` and `--host <host>` to `command`. */
export function addDashboardOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        "--dashboard [port]",
        "serve a live web dashboard (stage graph, charts, pause and width controls) at http://127.0.0.1:<port>/ while the run goes (no port or 0: a free one; the URL is printed on stderr). Put it after the module",
      ).argParser(parsePort),
    )
    .addOption(
      new Option(
        "--host <host>",
        "with --dashboard: listen on this address instead of 127.0.0.1; any other than loopback gets a random token, printed in the URL, that every request must carry",
      ).argParser(parseHost),
    );
}

/**
 * Refuses `--host` without `--dashboard` as a usage error (exit 2) before anything runs:
 * the flag would otherwise be silently ignored.
 */
export function checkDashboardFlags(flags: DashboardFlags, command: Command): void {
  if (flags.host !== undefined && flags.dashboard === undefined) {
    command.error(
      `error: option '--host <host>' argument '${flags.host}' needs --dashboard: it says where the dashboard listens.`,
      { exitCode: exitCodes.usage, code: "sluice.invalidOption" },
    );
  }
}

/**
 * Starts the dashboard for `run` when `--dashboard` was given, and prints `dashboard: <url>`
 * on its own line on stderr (the URL holds the token when one is needed). When the server
 * cannot start, cancels the run (so it ends with the command) and throws an error naming the
 * address. The caller closes the server once the run has settled.
 */
export async function startDashboard(
  run: DashboardRun & { cancel(): Promise<unknown> },
  pipeline: string,
  flags: DashboardFlags,
  io: CommandIo,
): Promise<DashboardServer | undefined> {
  if (flags.dashboard === undefined) return undefined;
  const port = flags.dashboard === true ? 0 : flags.dashboard;
  const host = flags.host ?? "127.0.0.1";
  let server: DashboardServer;
  try {
    server = await serveDashboard(run, { pipeline, port, host });
  } catch (error) {
    await run.cancel();
    throw new Error(
      `Cannot serve the dashboard on ${host}:${port}: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  io.stderr.write(`dashboard: ${server.url}\n`);
  return server;
}
