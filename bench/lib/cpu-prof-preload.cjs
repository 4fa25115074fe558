// Preload for profiling a spawned process where `--cpu-prof` is not allowed (NODE_OPTIONS on
// Node 20): NODE_OPTIONS="--require <this file>" BENCH_CPU_PROF_DIR=/tmp/prof. Writes
// <dir>/<pid>.cpuprofile when the process exits (the in-thread inspector answers synchronously).
// BENCH_CPU_PROF_INTERVAL_US sets the sampling interval (default 1000 µs).
'use strict';
const inspector = require('node:inspector');
const { mkdirSync, writeFileSync } = require('node:fs');
const dir = process.env.BENCH_CPU_PROF_DIR || '.';
const session = new inspector.Session();
session.connect();
session.post('Profiler.enable');
session.post('Profiler.setSamplingInterval', { interval: Number(process.env.BENCH_CPU_PROF_INTERVAL_US) || 1000 });
session.post('Profiler.start');
process.on('exit', () => {
  session.post('Profiler.stop', (err, result) => {
    if (err || !result) return;
    mkdirSync(dir, { recursive: true });
    writeFileSync(`${dir}/${process.pid}.cpuprofile`, JSON.stringify(result.profile));
  });
});
