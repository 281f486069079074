import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The floor a handler is measured against: a one-line module that only re-exports the client
 * classes of the SDK packages the handler's bundle contains (`EC2Client` of
 * `@aws-sdk/client-ec2`, `DynamoDBDocumentClient` of `@aws-sdk/lib-dynamodb`, ...) and the
 * commands it sends (`CopySnapshotCommand`, ...): the size counterpart of the CPU floor, which
 * replays the same calls. Bundled the same way, it is what those clients and calls cost before a
 * line of the hub's own code. `dir` must lie inside the repository, so that the packages resolve
 * from its node_modules.
 */
export async function writeFloorEntry(
  sdkPackages: string[],
  sdkCommands: Record<string, string[]>,
  dir: string,
  name: string,
): Promise<{ entry: string; source: string }> {
  const parts: string[] = [];
  // Aliased by package: lib-dynamodb's QueryCommand is not client-dynamodb's.
  for (const [index, pkg] of sdkPackages.entries()) {
    const names = [...(await clientClasses(pkg)), ...(sdkCommands[pkg] ?? [])];
    parts.push(`export { ${names.map((name) => `${name} as p${index}${name}`).join(', ')} } from '${pkg}';`);
  }
  const source = parts.join(' ');
  mkdirSync(dir, { recursive: true });
  const entry = path.join(dir, `${name}.floor.ts`);
  writeFileSync(entry, `${source}\n`);
  return { entry, source };
}

/** A package's client classes: exports named `…Client` whose instances can `send` commands. */
async function clientClasses(pkg: string): Promise<string[]> {
  const module = (await import(pkg)) as Record<string, unknown>;
  const names = Object.keys(module).filter(
    (name) =>
      !name.startsWith('_') &&
      name.endsWith('Client') &&
      typeof module[name] === 'function' &&
      typeof (module[name] as { prototype?: { send?: unknown } }).prototype?.send === 'function',
  );
  if (names.length === 0) throw new Error(`${pkg} exports no client class (an export named …Client with a send method)`);
  return names.sort();
}
