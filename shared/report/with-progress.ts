/**
 * Passes items through, telling how many have gone by every `every` items: a long walk (the
 * audit log of a busy vault) shows it is moving.
 *
 * @example
 * await verifyChain(withProgress(audit.entries(), 50_000, (n) => console.error(`${n} entries…`)));
 */
export async function* withProgress<T>(items: AsyncIterable<T>, every: number, tell: (count: number) => void): AsyncGenerator<T> {
  let count = 0;
  for await (const item of items) {
    yield item;
    if (++count % every === 0) tell(count);
  }
}
