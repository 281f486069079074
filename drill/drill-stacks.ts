import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AccountsConfig } from '../shared/config/accounts.js';
import { type Drill, recoveryAccountsOf } from './drill-file.js';
import { accountsFor } from './hub-accounts.js';
import type { StackRef } from './local-hub.js';

/** What `serverless package` names the template a stack is deployed from. */
export const PACKAGED_TEMPLATE = 'cloudformation-template-update-stack.json';

/** A drill that cannot be deployed as asked (its accounts have no files, a packaged template is missing). */
export class DrillStacksError extends Error {
  override name = 'DrillStacksError';
}

/** Every account of a drill and its regions, `<id>:<region>,<region>`, in a stable order. */
const accountList = (accounts: { id: string; regions: string[] }[]) => accounts.map((a) => `${a.id}:${a.regions.join(',')}`).sort();

/**
 * The account files a drill is deployed from: the folder's when the drill names exactly its accounts
 * (the vault, the sources with their regions, and every account a restore step goes into), so that
 * the drill runs what `serverless package` ships from that folder. Otherwise, with `required` false,
 * account files made for the drill ({@link accountsFor}); with `required` (the stacks were packaged
 * from the folder), an error that says which accounts differ.
 */
export function drillAccounts(
  drill: Drill,
  folder: AccountsConfig,
  { required }: { required: boolean },
): { accounts: AccountsConfig; fromFolder: boolean } {
  const generated = accountsFor({ vault: drill.vault, sources: drill.sources, recovery: recoveryOf(drill) });
  const wanted = accountList(generated.all);
  const inFolder = accountList(folder.all.map((a) => (a.role === 'recovery' ? { id: a.id, regions: [folder.vault.regions[0]!] } : a)));
  if (wanted.join(' ') === inFolder.join(' ')) return { accounts: folder, fromFolder: true };
  if (!required) return { accounts: generated, fromFolder: false };
  const missing = wanted.filter((a) => !inFolder.includes(a));
  const extra = inFolder.filter((a) => !wanted.includes(a));
  throw new DrillStacksError(
    `the drill's accounts differ from the account files in ${folder.dir} the stacks were packaged from` +
      `${missing.length ? `; the drill has ${missing.join(' ')}, which no file has` : ''}${extra.length ? `; the files have ${extra.join(' ')}, which the drill does not name` : ''}` +
      '. Run the drill without --stacks, or give it exactly the accounts of the files (account:regions).',
  );
}

/**
 * The recovery accounts of a drill: in the vault's region, and in each region a restore into the
 * account lands in that is not one of the vault's (`toRegion`), as its account file would list it.
 */
function recoveryOf(drill: Drill): { account: string; regions?: string[] }[] {
  const own = [drill.vault.region, drill.vault.drRegion];
  return recoveryAccountsOf(drill).map((account) => {
    const landing = drill.steps.flatMap((s) =>
      s.action === 'restore' && s.into === account && s.toRegion && !own.includes(s.toRegion) ? [s.toRegion] : [],
    );
    return { account, ...(landing.length ? { regions: [drill.vault.region, ...new Set(landing)] } : {}) };
  });
}

/** Each stack's template as `npm run package:all` left it in `dir/<account file>[-<region>]/`. */
export function packagedTemplates(dir: string): (stack: StackRef) => string {
  return ({ folder }) => {
    const file = join(dir, folder, PACKAGED_TEMPLATE);
    if (!existsSync(file))
      throw new DrillStacksError(
        `${file} is missing: package every account first (npm run package:all), or run the drill without --stacks`,
      );
    return readFileSync(file, 'utf8');
  };
}
