import { readFileSync } from 'node:fs';
import os from 'node:os';

/** The machine a run was made on, for the report and the README table. */
export function machine(): { cpu: string; cores: number; node: string; platform: string; loadAverage1m: number } {
  let cpu = os.cpus()[0]?.model ?? 'unknown';
  try {
    cpu = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpu;
  } catch {
    // not Linux: os.cpus() it is
  }
  return {
    cpu,
    cores: os.availableParallelism(),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    loadAverage1m: Math.round(os.loadavg()[0]! * 100) / 100,
  };
}
