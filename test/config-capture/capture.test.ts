import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { SimCloud } from '@backup-hub/aws-sim';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { ssmStoreBucket } from '../../accounts/stack/names.js';
import { buildEstate, type Estate } from '../../drill/estate.js';
import { diffCaptures } from '../../shared/config-capture/diff.js';
import { toCloudFormation } from '../../shared/config-capture/export/cloudformation.js';
import { toTerraform } from '../../shared/config-capture/export/terraform.js';
import { NO_COPIES } from '../../shared/config-capture/export/vault-copies.js';
import { captureAsOf, listCaptures, readCapture, storeCapture } from '../../shared/config-capture/store.js';
import { tempDirs } from '../temp-dirs.js';
import { captureOnSim } from './capture-on-sim.js';

const SOURCE = '111111111111';
const VAULT = '999999999999';
const REGION = 'eu-west-1';

let cloud: SimCloud;
let estate: Estate;
beforeEach(() => {
  cloud = new SimCloud();
  for (const id of [SOURCE, VAULT]) cloud.addAccount({ id });
  estate = buildEstate(cloud, SOURCE, REGION, { instances: 2, databases: 1, clusters: 1 });
});
const temp = tempDirs();
afterAll(temp.remove);

describe('configuration capture', () => {
  it("captures a source region's network, instances, volumes, launch templates and databases with their settings", async () => {
    const { document: doc } = await captureOnSim(cloud, SOURCE, REGION);
    expect(doc).toMatchObject({ schemaVersion: 1, account: SOURCE, region: REGION, trigger: { kind: 'schedule' } });
    expect(doc.vpcs).toEqual([{ id: estate.vpcId, cidrBlock: '10.20.0.0/16', tags: { Name: 'app' } }]);
    expect(doc.subnets.map((s) => [s.cidrBlock, s.availabilityZone])).toEqual([
      ['10.20.1.0/24', `${REGION}a`],
      ['10.20.2.0/24', `${REGION}b`],
    ]);
    expect(doc.routeTables.map((t) => [t.main, t.subnetIds])).toEqual([
      [true, []],
      [false, estate.subnetIds],
    ]);
    const db = doc.securityGroups.find((g) => g.name === 'app-db')!;
    expect(db.ingress).toEqual([{ protocol: 'tcp', fromPort: 5432, toPort: 5432, cidrs: [], groupIds: [estate.webGroupId] }]);
    expect(doc.instances[0]).toMatchObject({
      instanceType: 'm6g.large',
      keyName: 'app-ops',
      subnetId: estate.subnetIds[0],
      securityGroupIds: [estate.webGroupId],
      instanceProfileArn: `arn:aws:iam::${SOURCE}:instance-profile/app-web`,
      tags: { Name: 'app-web-1' },
    });
    expect(doc.instances[0]!.blockDevices.map((d) => d.deviceName)).toEqual(['/dev/xvda', '/dev/sdf']);
    expect(doc.volumes.filter((v) => v.attachment?.device === '/dev/sdf').map((v) => [v.sizeGiB, v.encrypted])).toEqual([
      [50, true],
      [50, true],
    ]);
    expect(doc.launchTemplates).toEqual([
      expect.objectContaining({ name: 'app-web', instanceType: 'm6g.large', securityGroupIds: [estate.webGroupId] }),
    ]);
    expect(doc.dbSubnetGroups).toEqual([{ name: 'app-db', description: 'databases', vpcId: estate.vpcId, subnetIds: estate.subnetIds }]);
    expect(doc.dbInstances.find((d) => d.id === 'app-orders')).toMatchObject({
      instanceClass: 'db.r6g.large',
      engine: 'postgres',
      engineVersion: '16.4',
      subnetGroup: 'app-db',
      securityGroupIds: [estate.dbGroupId],
      multiAZ: true,
      allocatedStorageGiB: 100,
      backupWindow: '02:00-02:30',
    });
    expect(doc.dbClusters).toEqual([expect.objectContaining({ id: 'app-ledger', members: [{ id: 'app-ledger-1', writer: true }] })]);
    expect(doc.instanceProfiles).toEqual(['app-web']);
  });

  it('lists exactly what changed between two captures: a rule added, an instance launched, a database resized', async () => {
    const { document: before } = await captureOnSim(cloud, SOURCE, REGION);
    cloud.ec2.network.authorizeIngress(SOURCE, REGION, estate.webGroupId, [
      { ipProtocol: 'tcp', fromPort: 80, toPort: 80, cidrIps: ['10.0.0.0/8'], groupIds: [] },
    ]);
    const added = cloud.ec2.runInstance(SOURCE, REGION, { encryption: 'none', subnetId: estate.subnetIds[1] });
    cloud.rds.databases.get('instance', SOURCE, REGION, 'app-orders')!.settings.instanceClass = 'db.r6g.2xlarge';
    cloud.clock.advance(60_000);
    const { document: after } = await captureOnSim(cloud, SOURCE, REGION);

    const changes = diffCaptures(before, after);
    expect(changes.map((c) => [c.change, c.list, c.resource, c.fields?.map((f) => f.field)])).toEqual([
      ['changed', 'securityGroups', estate.webGroupId, ['ingress']],
      ['added', 'instances', added.id, undefined],
      ['added', 'volumes', added.rootVolumeId, undefined],
      ['changed', 'dbInstances', 'app-orders', ['instanceClass']],
    ]);
    expect(changes[3]!.fields![0]).toEqual({ field: 'instanceClass', before: 'db.r6g.large', after: 'db.r6g.2xlarge' });
  });

  it('keeps each capture once in the vault store, keyed by account, region and time, and finds the one as of a time', async () => {
    cloud.s3.createBucket(VAULT, REGION, ssmStoreBucket(VAULT, REGION), { objectLockEnabled: true });
    const s3 = new S3Client(cloud.clientConfig(cloud.adminCredentials(VAULT), REGION));
    const vault = { account: VAULT, region: REGION, keyArn: cloud.kms.createKey(VAULT, REGION, { description: 'vault' }).arn };
    const first = await storeCapture(s3, vault, (await captureOnSim(cloud, SOURCE, REGION)).document);
    const between = cloud.clock.now();
    cloud.clock.advance(86_400_000);
    const second = await storeCapture(s3, vault, (await captureOnSim(cloud, SOURCE, REGION)).document);

    expect(first.key).toBe(`config/${SOURCE}/${REGION}/${first.capturedAt}.json`);
    expect((await listCaptures(s3, vault, SOURCE, REGION)).map((c) => c.key)).toEqual([first.key, second.key]);
    expect((await captureAsOf(s3, vault, SOURCE, REGION, between)).key).toBe(first.key);
    expect((await readCapture(s3, vault, second)).capturedAt).toBe(second.capturedAt);
    await expect(captureAsOf(s3, vault, SOURCE, REGION, new Date(0))).rejects.toThrow(/give a later --as-of/);
    await expect(captureAsOf(s3, vault, '222222222222', REGION, between)).rejects.toThrow(/holds no configuration capture of 222222222222/);
  });
});

describe('configuration export', () => {
  const cfnLint = spawnSync('cfn-lint', ['--version']).status === 0;

  it.skipIf(!cfnLint)('renders a capture as a CloudFormation template cfn-lint finds no error in', async () => {
    const { document } = await captureOnSim(cloud, SOURCE, REGION);
    const image = 'ami-0123456789abcdef0';
    const template = toCloudFormation(document, {
      ...NO_COPIES,
      images: { [estate.instanceIds[0]!]: image },
      dbSnapshots: { 'app-orders': `arn:aws:rds:${REGION}:${VAULT}:snapshot:app-orders-copy` },
    });
    expect(template.Resources.InstanceAppWeb1!.Properties.ImageId).toBe(image);
    expect(template.Parameters.InstanceAppWeb2ImageId).toMatchObject({ Type: 'AWS::EC2::Image::Id' });
    expect(template.Parameters.VpcAppCidr).toMatchObject({ Default: '10.20.0.0/16' });
    expect(template.Resources.SubnetAppA!.Properties.VpcId).toEqual({ Ref: 'VpcApp' });
    const file = join(await temp.make('cfn-'), 'rebuild.json');
    await writeFile(file, JSON.stringify(template, null, 2));
    // Exit status 0 is "no errors, warnings or informational"; 4 warnings and 8 informational findings only (cfn-lint's documented bits).
    const run = spawnSync('cfn-lint', ['--format', 'parseable', file], { encoding: 'utf8' });
    const errors = run.stdout.split('\n').filter((line) => /:E\d{4}:/.test(line));
    expect(errors).toEqual([]);
    expect(run.status! & 2).toBe(0);
  });

  const terraform = spawnSync('terraform', ['version']).status === 0;

  it('renders a capture as Terraform with the same references, vault copies and variables', async () => {
    const { document } = await captureOnSim(cloud, SOURCE, REGION);
    const hcl = toTerraform(document, { ...NO_COPIES, snapshots: { [document.volumes[1]!.id]: 'snap-0123456789abcdef0' } });
    expect(hcl).toContain('resource "aws_vpc" "vpc_app" {\n  cidr_block = var.vpc_app_cidr');
    expect(hcl).toContain('vpc_id = aws_vpc.vpc_app.id');
    expect(hcl).toContain('snapshot_id = "snap-0123456789abcdef0"');
    expect(hcl).toContain('resource "aws_rds_cluster_instance" "db_instance_app_ledger1"');
    expect(hcl).toContain('key_name = var.key_name_app_ops');
    if (!terraform) {
      console.warn('terraform not found on PATH: skipping terraform fmt and validate of the Terraform export');
      return;
    }
    const dir = await temp.make('tf-');
    await writeFile(join(dir, 'main.tf'), hcl);
    // fmt parses HCL without providers: a syntax error fails it.
    const fmt = spawnSync('terraform', ['fmt', '-no-color', '-'], { input: hcl, encoding: 'utf8' });
    expect(fmt.stderr).not.toMatch(/Error/);
    expect(fmt.status).toBe(0);
    // validate needs the AWS provider: without a registry or a mirror, init fails and validate is skipped.
    const init = spawnSync('terraform', ['init', '-input=false', '-no-color', '-backend=false'], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 60_000,
    });
    if (init.status !== 0) {
      console.warn(
        `terraform init could not install the AWS provider (offline?): skipping terraform validate\n${init.stderr.slice(0, 300)}`,
      );
      return;
    }
    const validate = spawnSync('terraform', ['validate', '-no-color'], { cwd: dir, encoding: 'utf8' });
    expect(validate.stdout + validate.stderr).toContain('Success');
  }, 120_000);

  it.runIf(!cfnLint)('cfn-lint is not on PATH: the lint of the CloudFormation export is skipped', () => {
    console.warn('cfn-lint not found on PATH: skipping the CloudFormation export lint');
    expect(cfnLint).toBe(false);
  });
});
