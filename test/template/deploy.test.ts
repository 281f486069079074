import { SimCloud, type Template as SimTemplate, TemplateError } from '@backup-hub/aws-sim';
import { afterEach, describe, expect, it } from 'vitest';
import { renderTemplate } from '../../accounts/stack/render.js';
import { buildService, everyStack } from '../../accounts/stack/service.js';
import { KNOWN_OVER_QUOTA } from '../../drill/local-hub.js';
import { type AccountsConfig, loadAccounts } from '../../shared/config/accounts.js';
import { STAGE } from './stack.js';

/**
 * The rendered stacks deployed as AWS would take them: CloudFormation's Rules keep each in its
 * account and region, and every quota the simulated deploy knows is enforced.
 */
const accounts = loadAccounts();
const template = (name: string, region?: string) =>
  renderTemplate(buildService(accounts, name, { stage: STAGE, region })) as unknown as SimTemplate;

const clouds: SimCloud[] = [];
afterEach(async () => {
  await Promise.all(clouds.splice(0).map((cloud) => cloud.close()));
});
function cloudOf(config: AccountsConfig, options: ConstructorParameters<typeof SimCloud>[0] = {}): SimCloud {
  const cloud = new SimCloud(options);
  for (const account of config.all) cloud.addAccount({ id: account.id, quotas: account.quotas });
  clouds.push(cloud);
  return cloud;
}

describe('each stack in its account and region, or nowhere', () => {
  it('refuses the vault stack in a source account, before creating anything, saying which account file it is and what to do', async () => {
    const cloud = cloudOf(accounts);
    const source = accounts.account('source-a');
    const attempt = cloud.cloudformation.deploy({
      account: source.id,
      region: 'eu-west-1',
      stackName: 'backup-hub-test',
      template: template('vault'),
    });
    await expect(attempt).rejects.toThrow(TemplateError);
    await expect(attempt).rejects.toMatchObject({
      code: 'ValidationError',
      message: `Template rule RightAccountAndRegion failed: This is the vault stack of account file vault.yml, for account ${accounts.vault.id}; these credentials are another account's. Deploy it with ${accounts.vault.id}'s credentials, or package the account file of this account (--param="account=<name>").`,
    });
    expect(cloud.cloudformation.stacks()).toEqual([]);
    expect(cloud.iam.role(`arn:aws:iam::${source.id}:role/backup-hub-reconciler`)).toBeUndefined();
  });

  it("refuses a source stack in a region other than the one it was packaged for, naming the account file's other regions", async () => {
    const cloud = cloudOf(accounts);
    const sourceB = accounts.account('source-b');
    await expect(
      cloud.cloudformation.deploy({
        account: sourceB.id,
        region: 'eu-central-1',
        stackName: 'backup-hub-test',
        template: template('source-b'),
      }),
    ).rejects.toThrow(
      'This is the stack of account file source-b.yml for eu-west-1; it is being deployed in another region. Deploy it in eu-west-1, or package source-b.yml for that region with --region if it is one of eu-central-1.',
    );
  });
});

describe('the example stacks under AWS quotas', () => {
  it('deploy with every quota enforced but those KNOWN_OVER_QUOTA tolerates, and each of those is exceeded (empty it once none is)', async () => {
    const cloud = cloudOf(accounts, { tolerateQuotas: KNOWN_OVER_QUOTA });
    for (const { account, region } of everyStack(accounts)) {
      await cloud.cloudformation.deploy({
        account: accounts.account(account).id,
        region,
        stackName: 'backup-hub-test',
        template: template(account, region),
        lambdaCode: () => async () => undefined,
      });
    }
    expect(cloud.cloudformation.stacks()).toHaveLength(everyStack(accounts).length);
    const exceeded = cloud.quotas.exceeded();
    expect(new Set(exceeded.map((use) => use.quota))).toEqual(new Set(KNOWN_OVER_QUOTA));
  });
});
