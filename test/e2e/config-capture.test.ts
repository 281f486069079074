import { beforeAll, describe, expect, it } from 'vitest';
import { buildEstate } from '../../drill/estate.js';
import type { LocalHub } from '../../drill/local-hub.js';
import { s3Client } from '../../shared/aws/clients.js';
import { listCaptures, readCapture } from '../../shared/config-capture/store.js';
import { deployTestHub, imageOf, REGION, run, SOURCE_A, SOURCE_B, VAULT } from './hub-harness.js';

let hub: LocalHub;
beforeAll(async () => {
  hub = await deployTestHub();
  buildEstate(hub.cloud, SOURCE_A, REGION, { instances: 2, databases: 1, clusters: 1 });
}, 120_000);

const vaultFacts = () => ({ account: VAULT, region: REGION, keyArn: hub.inspector.config.vaultKeyArn });
/** The restore role reads the captures, as `backup-hub config export` does: nobody else may decrypt them. */
const store = () => s3Client(hub.restoreContext.aws, REGION);
const captures = (account: string) => listCaptures(store(), vaultFacts(), account, REGION);

describe('the deployed configuration capture', () => {
  it('captures every source region hourly through its config reader role, once a day, into the vault store', async () => {
    await run(hub, 60);
    const [first] = await captures(SOURCE_A);
    expect(first).toBeDefined();
    expect(await captures(SOURCE_B)).toHaveLength(1);
    const doc = await readCapture(store(), vaultFacts(), first!);
    expect([doc.instances.length, doc.dbInstances.length, doc.dbClusters.length, doc.trigger]).toEqual([2, 2, 1, { kind: 'schedule' }]);
    // The capture ran as the vault's capture role, through the source's config reader role, with Describe calls only.
    const calls = hub.cloud.calls.filter((c) => c.account === SOURCE_A && c.principal.includes('backup-hub-config-reader'));
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.filter((c) => !c.action.startsWith('Describe') || c.error)).toEqual([]);
    // An hour later it is not due: the account captures once a day.
    await run(hub, 60);
    expect(await captures(SOURCE_A)).toHaveLength(1);
  }, 120_000);

  it("captures a source's region again when one of its AMIs is announced", async () => {
    const before = (await captures(SOURCE_A)).length;
    imageOf(hub, SOURCE_A, 'aws-managed');
    await run(hub, 20);
    const after = await captures(SOURCE_A);
    expect(after).toHaveLength(before + 1);
    const doc = await readCapture(store(), vaultFacts(), after[after.length - 1]!);
    expect(doc.trigger).toMatchObject({ kind: 'event' });
  }, 120_000);
});
