#!/usr/bin/env node
// `diary-events`: the entry point. Loading the CLI's modules takes a while (seconds on a busy
// machine) and a SIGTERM meanwhile would kill the process by the signal before any handler exists,
// so the handler comes first and the CLI is loaded after it.
import { catchSignalsWhileStarting } from './cmd/start-signals.js';

catchSignalsWhileStarting(process.argv.slice(2));
await import('./cli-main.js');
