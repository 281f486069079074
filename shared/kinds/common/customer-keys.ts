import type { KeyFacts } from '../../aws/source-keys.js';
import { PermanentFailure } from '../../pipeline/outcomes.js';
import type { HubContext } from '../../runtime/hub-context.js';
import type { ArtifactRef } from './artifact-kind.js';

/**
 * Refuses, in verify, an artifact under a customer managed key the reader role may not use: the
 * reader uses only keys whose alias the source's account file lists (customerKeyAliases), so the
 * copy would fail later with a bare AccessDenied; this says which alias to list instead. AWS managed
 * keys and the share key need no alias.
 * @throws PermanentFailure naming the alias to add and the account file to add it to
 */
export async function requireListedKey(ref: ArtifactRef, what: string, key: KeyFacts | undefined, ctx: HubContext): Promise<void> {
  if (!key || key.awsManaged) return;
  if (key.arn === (await ctx.keys.shareKey(ref.account, ref.region)).arn) return;
  const listed = ctx.config.sourceKeyAliases[ref.account];
  const aliases = await ctx.keys.aliases(ref.account, ref.region, key.arn);
  if (aliases.some((alias) => listed?.aliases.includes(alias))) return;
  const file = `accounts/${listed?.file ?? `<the account file of ${ref.account}>`}`;
  throw new PermanentFailure(
    `${what} is encrypted under ${key.arn}, ${aliases.length ? `whose aliases (${aliases.join(', ')}) are` : 'which has no alias, so it is'} not in customerKeyAliases, and the reader role may not use it: ` +
      (aliases.length
        ? `add alias ${aliases[0]} to customerKeyAliases in ${file}`
        : `give the key an alias, add it to customerKeyAliases in ${file}`) +
      ', and redeploy the source stack',
  );
}
