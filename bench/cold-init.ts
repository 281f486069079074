import { execFile } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { median } from './stats.js';

const run = promisify(execFile);

export interface ColdInit {
  /** Median process CPU time (user + system) of the import: what the ratios use, as a busy machine barely moves it. */
  medianCpuMs: number;
  /** Median wall time of the import. */
  medianMs: number;
  samplesCpuMs: number[];
  samplesMs: number[];
}

/**
 * The cold-init time of bundles: in a fresh `node` process each, `await import(bundle)` (module
 * load, parse, compile and top-level code), measured inside that process so that Node's own
 * start-up (the same for every bundle) does not blur the ratios. The files take turns, run
 * after run, so that a change in the machine's load hits them all alike.
 */
export async function coldInits(files: string[], runs: number): Promise<Map<string, ColdInit>> {
  const samples = new Map(files.map((file) => [file, { wall: [] as number[], cpu: [] as number[] }]));
  for (let i = 0; i < runs; i++) {
    for (const file of files) {
      const script = `const c = process.cpuUsage(); const t = performance.now(); await import(${JSON.stringify(pathToFileURL(file).href)}); const w = performance.now() - t; const u = process.cpuUsage(c); process.stdout.write(JSON.stringify([w, (u.user + u.system) / 1000]));`;
      const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
        env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      });
      const [wall, cpu] = JSON.parse(stdout) as [number, number];
      samples.get(file)!.wall.push(wall);
      samples.get(file)!.cpu.push(cpu);
    }
  }
  return new Map(
    [...samples].map(([file, s]) => [
      file,
      { medianCpuMs: median(s.cpu), medianMs: median(s.wall), samplesCpuMs: s.cpu, samplesMs: s.wall },
    ]),
  );
}
