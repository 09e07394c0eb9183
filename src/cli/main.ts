#!/usr/bin/env node
import { runCli } from "./program.js";

// exitCode rather than exit(): output still queued for a pipe is written before Node ends,
// and a handle a run left behind shows up as a hang instead of being hidden.
process.exitCode = await runCli(process.argv);
