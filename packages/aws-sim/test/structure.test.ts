import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const PACKAGE = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SRC = join(PACKAGE, 'src');

/** Every TypeScript file under a folder, as absolute paths. */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** The relative imports and re-exports of a file (type-only ones too: a circle of types is still a circle), resolved to .ts paths. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(/^(?:import|export)\b[^;]*?\bfrom\s+'([^']+)'/gms)].map((m) => m[1]!);
  return specifiers.filter((s) => s.startsWith('.')).map((s) => resolve(dirname(file), s).replace(/\.js$/, '.ts'));
}

/** The strongly connected components with more than one file (Tarjan), or a file importing itself: the import circles. */
function circles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const found: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, next);
    low.set(node, next++);
    stack.push(node);
    for (const target of graph.get(node) ?? []) {
      if (!graph.has(target)) continue;
      if (!index.has(target)) {
        visit(target);
        low.set(node, Math.min(low.get(node)!, low.get(target)!));
      } else if (stack.includes(target)) low.set(node, Math.min(low.get(node)!, index.get(target)!));
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      component.push(member);
    } while (member !== node);
    if (component.length > 1 || graph.get(node)!.includes(node)) found.push(component.map((f) => relative(SRC, f)).sort());
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return found;
}

const graph = new Map(sourceFiles(SRC).map((file) => [file, importsOf(file)]));
const isApi = (file: string) => relative(SRC, file).split(sep).includes('api');

describe('the package structure', () => {
  it('has no import circle', () => {
    expect(circles(graph)).toEqual([]);
  });

  it('never imports the hub: every relative import stays inside the package', () => {
    const outside = [...graph].flatMap(([file, targets]) =>
      targets.filter((t) => relative(SRC, t).startsWith('..')).map((t) => `${relative(SRC, file)} -> ${relative(PACKAGE, t)}`),
    );
    expect(outside).toEqual([]);
  });

  it("keeps each service's state free of its API: nothing outside an api/ folder imports one, but the cloud that registers them", () => {
    const composers = new Set([join(SRC, 'cloud.ts'), join(SRC, 'index.ts')]);
    const leaks = [...graph].flatMap(([file, targets]) =>
      isApi(file) || composers.has(file) ? [] : targets.filter(isApi).map((t) => `${relative(SRC, file)} -> ${relative(SRC, t)}`),
    );
    expect(leaks).toEqual([]);
  });

  it('finds a circle when there is one (the check itself)', () => {
    expect(
      circles(
        new Map([
          ['/a.ts', ['/b.ts']],
          ['/b.ts', ['/c.ts']],
          ['/c.ts', ['/a.ts']],
          ['/d.ts', ['/a.ts']],
        ]),
      ),
    ).toHaveLength(1);
  });
});
