import { Command, CommanderError } from "commander";
import { registerDemo } from "./demo.js";
import { exitCodes } from "./exit-codes.js";
import { packageVersion } from "./package-version.js";
import { registerReplay } from "./replay-command.js";
import { registerRun } from "./run-command.js";
import { ignoreBrokenPipe } from "./terminal.js";
import { registerTune } from "./tune-command.js";

/**
 * Builds the `sluice` command-line program. Commander is told not to exit the process
 * itself (`exitOverride`): commands report their exit code through `done`, and usage
 * errors surface as a `CommanderError` that {@link runCli} turns into exit code 2.
 */
export function createProgram(done: (exitCode: number) => void): Command {
  const program = new Command("sluice")
    .description("Concurrent pipelines for Node.js: bounded fan-out, ordering, backpressure.")
    .version(packageVersion(), "-V, --version", "print the version")
    .helpOption("-h, --help", "show help")
    // Set before the commands are added: subcommands copy these settings when created.
    .exitOverride();
  registerDemo(program, done);
  registerTune(program, done);
  registerReplay(program, done);
  registerRun(program, done);
  return program;
}

/**
 * Parses `argv` (as `process.argv`: node, script, then arguments), runs the command and
 * resolves with the process's exit code: the command's own, 0 after `--help` or
 * `--version`, 2 for any usage error (commander has already printed it). Other errors are
 * bugs and reject.
 */
export async function runCli(argv: readonly string[]): Promise<number> {
  for (const stream of [process.stdout, process.stderr]) stream.on("error", ignoreBrokenPipe);
  let exitCode: number = exitCodes.ok;
  const program = createProgram((code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync([...argv]);
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? exitCodes.ok : exitCodes.usage;
    }
    throw error;
  }
  return exitCode;
}
