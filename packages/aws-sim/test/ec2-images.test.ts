import {
  CopyImageCommand,
  type CopyImageCommandInput,
  CreateTagsCommand,
  DeleteSnapshotCommand,
  DeregisterImageCommand,
  DescribeImagesCommand,
  type DescribeImagesCommandInput,
  DescribeSnapshotsCommand,
  EC2Client,
  ModifyImageAttributeCommand,
  ModifySnapshotAttributeCommand,
} from '@aws-sdk/client-ec2';
import { beforeEach, describe, expect, it } from 'vitest';
import { type EventEnvelope, SimCloud } from '../src/index.js';
import { KEY_NOT_ACCESSIBLE } from '../src/services/ec2/ebs-snapshot-copy.js';
import type { VolumeEncryption } from '../src/services/ec2/ebs-volume.js';
import type { Ec2Sim, Ec2SimOptions } from '../src/services/ec2/ec2.js';
import type { SimImage } from '../src/services/ec2/image.js';
import { NO_STORAGE_ACCESS } from '../src/services/ec2/image-copy.js';
import { rootArn } from '../src/services/iam/iam.js';
import type { KmsSim } from '../src/services/kms/kms.js';

const SOURCE = '111111111111';
const VAULT = '999999999999';
const REGION = 'eu-west-1';
const MINUTE = 60_000;
const SNAPSHOT_MS = 5 * MINUTE;
const COPY_MS = 20 * MINUTE;

let cloud: SimCloud;
let kms: KmsSim;
let ec2: Ec2Sim;
let events: EventEnvelope[];

function setup(options: Ec2SimOptions = {}): void {
  cloud = new SimCloud({ ec2: { snapshotDurationMs: SNAPSHOT_MS, copyDurationMs: () => COPY_MS, ...options } });
  for (const id of [SOURCE, VAULT]) cloud.addAccount({ id });
  ({ kms, ec2 } = cloud);
  events = [];
  cloud.onServiceEvent((event) => events.push(event));
}

beforeEach(() => setup());

const client = (account: string) => new EC2Client(cloud.clientConfig(cloud.adminCredentials(account), REGION));

/** A key SOURCE administers and VAULT may use for copies, as the source stack's share key. */
const shareKey = () =>
  kms.createKey(SOURCE, REGION, {
    policy: {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: { AWS: rootArn(SOURCE) }, Action: 'kms:*', Resource: '*' },
        {
          Effect: 'Allow',
          Principal: { AWS: rootArn(VAULT) },
          Action: ['kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey', 'kms:CreateGrant'],
          Resource: '*',
        },
      ],
    },
  });

/** An available AMI in SOURCE (created silently). */
function availableImage(encryption: VolumeEncryption, kmsKeyArn?: string): SimImage {
  const image = ec2.images.create(SOURCE, REGION, { name: `web-${encryption}`, encryption, kmsKeyArn, emit: false });
  cloud.clock.advance(SNAPSHOT_MS);
  return image;
}

const rootSnapshot = (image: SimImage) => image.blockDevices[0]!.snapshotId;
/** The AMI events (sharing a backing snapshot also sends EBS's shareSnapshot). */
const amiEvents = () => events.filter((e) => e['detail-type'] === 'EC2 AMI State Change');

async function shareWithVault(image: SimImage, { snapshots = true } = {}): Promise<void> {
  await client(SOURCE).send(new ModifyImageAttributeCommand({ ImageId: image.id, LaunchPermission: { Add: [{ UserId: VAULT }] } }));
  if (snapshots) {
    await client(SOURCE).send(
      new ModifySnapshotAttributeCommand({
        SnapshotId: rootSnapshot(image),
        Attribute: 'createVolumePermission',
        OperationType: 'add',
        UserIds: [VAULT],
      }),
    );
  }
}

const copyIntoVault = (image: SimImage, input: Partial<CopyImageCommandInput> = {}) =>
  client(VAULT).send(new CopyImageCommand({ SourceRegion: REGION, SourceImageId: image.id, Name: `copy-of-${image.id}`, ...input }));

async function describeImage(account: string, imageId: string) {
  const { Images } = await client(account).send(new DescribeImagesCommand({ ImageIds: [imageId] }));
  return Images![0]!;
}

describe('simulated AMIs: lifecycle and events', () => {
  it('keeps a new image pending until its snapshot completes, then emits the documented EC2 AMI State Change', async () => {
    const image = ec2.images.create(SOURCE, REGION, { name: 'web', encryption: 'none', id: 'ami-0123456789abcdef0' });
    expect(await describeImage(SOURCE, image.id)).toMatchObject({ State: 'pending', OwnerId: SOURCE, Name: 'web', RootDeviceType: 'ebs' });
    expect(events).toEqual([]);
    cloud.clock.advance(SNAPSHOT_MS);
    const described = await describeImage(SOURCE, image.id);
    expect(described).toMatchObject({
      State: 'available',
      BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { SnapshotId: rootSnapshot(image), Encrypted: false } }],
    });
    expect(events).toEqual([
      {
        version: '0',
        id: expect.any(String),
        'detail-type': 'EC2 AMI State Change',
        source: 'aws.ec2',
        account: SOURCE,
        time: '2026-01-01T00:05:00Z',
        region: REGION,
        resources: [`arn:aws:ec2:${REGION}::image/${image.id}`],
        detail: { RequestId: expect.any(String), ImageId: image.id, State: 'available', ErrorMessage: '' },
      },
    ]);
    expect(() => ec2.images.create(SOURCE, REGION, { name: 'web', encryption: 'none', id: image.id })).toThrow(/already exists/);
    expect(() => ec2.images.create(SOURCE, REGION, { name: 'web', encryption: 'none', id: 'image-1' })).toThrow(/not of the form/);
  });

  it('keeps the backing snapshot while the image is registered; deregistering emits deregistered and frees it', async () => {
    const image = availableImage('none');
    const deleteSnapshot = () => client(SOURCE).send(new DeleteSnapshotCommand({ SnapshotId: rootSnapshot(image) }));
    await expect(deleteSnapshot()).rejects.toMatchObject({ name: 'InvalidSnapshot.InUse' });
    await client(SOURCE).send(new DeregisterImageCommand({ ImageId: image.id }));
    expect(events.map((e) => e.detail)).toEqual([expect.objectContaining({ ImageId: image.id, State: 'deregistered' })]);
    await deleteSnapshot();
  });

  it('describes the snapshot CreateImage takes as EC2 does, and announces it as an EBS snapshot only when asked to', async () => {
    const quiet = ec2.images.create(SOURCE, REGION, { name: 'quiet', encryption: 'none' });
    cloud.clock.advance(SNAPSHOT_MS);
    expect(ec2.snapshot(SOURCE, REGION, rootSnapshot(quiet))?.description).toMatch(
      new RegExp(`^Created by CreateImage\\(i-\\w+\\) for ${quiet.id}$`),
    );
    expect(events.filter((e) => e['detail-type'] === 'EBS Snapshot Notification')).toEqual([]);
    setup({ announceImageSnapshots: true });
    const loud = ec2.images.create(SOURCE, REGION, { name: 'loud', encryption: 'none' });
    cloud.clock.advance(SNAPSHOT_MS);
    expect(events.filter((e) => e['detail-type'] === 'EBS Snapshot Notification').map((e) => e.detail.event)).toEqual(['createSnapshot']);
    expect(events.at(-1)).toMatchObject({ detail: { ImageId: loud.id, State: 'available' } });
  });

  it('shows a deregistered image for a short interval, its name still taken, then forgets it', async () => {
    const image = availableImage('none');
    await client(SOURCE).send(new DeregisterImageCommand({ ImageId: image.id }));
    // "Recently deregistered images appear in the returned results for a short interval and then return empty results" (DescribeImages).
    expect(await describeImage(SOURCE, image.id)).toMatchObject({ ImageId: image.id, State: 'deregistered' });
    await expect(client(SOURCE).send(new DeregisterImageCommand({ ImageId: image.id }))).rejects.toMatchObject({
      name: 'InvalidAMIID.Unavailable',
    });
    expect(() => ec2.images.create(SOURCE, REGION, { name: image.name, encryption: 'none' })).toThrow(
      /InvalidAMIName.Duplicate|already in use/,
    );
    cloud.clock.advance(60 * MINUTE);
    await expect(describeImage(SOURCE, image.id)).rejects.toMatchObject({ name: 'InvalidAMIID.NotFound' });
    expect(ec2.images.create(SOURCE, REGION, { name: image.name, encryption: 'none' }).name).toBe(image.name);
  });
});

describe('simulated AMIs: describing and tagging', () => {
  it('shows an account its own images and those shared with it, by owner, executable-by and tag filters', async () => {
    const mine = availableImage('none');
    await client(SOURCE).send(new CreateTagsCommand({ Resources: [mine.id], Tags: [{ Key: 'app', Value: 'web' }] }));
    const ids = async (account: string, input: DescribeImagesCommandInput) =>
      ((await client(account).send(new DescribeImagesCommand(input))).Images ?? []).map((i) => i.ImageId);
    expect(await ids(SOURCE, { Owners: ['self'], Filters: [{ Name: 'tag:app', Values: ['web'] }] })).toEqual([mine.id]);
    expect(await ids(SOURCE, { Owners: ['self'], Filters: [{ Name: 'tag:app', Values: ['db'] }] })).toEqual([]);
    expect(await ids(VAULT, {})).toEqual([]);
    await expect(describeImage(VAULT, mine.id)).rejects.toMatchObject({ name: 'InvalidAMIID.NotFound' });
    await shareWithVault(mine);
    expect(await ids(VAULT, { ExecutableUsers: ['self'] })).toEqual([mine.id]);
    expect(await ids(VAULT, { Owners: ['self'] })).toEqual([]);
    expect(await ids(SOURCE, { ExecutableUsers: [VAULT] })).toEqual([mine.id]);
    await expect(
      client(VAULT).send(new CreateTagsCommand({ Resources: [mine.id], Tags: [{ Key: 'x', Value: 'y' }] })),
    ).rejects.toMatchObject({ name: 'AuthFailure' });
  });
});

describe('simulated AMIs: sharing and cross-account copies', () => {
  it('refuses to share an image whose snapshot is under the AWS managed key, as EC2 does', async () => {
    const image = availableImage('aws-managed');
    await expect(shareWithVault(image, { snapshots: false })).rejects.toMatchObject({
      name: 'InvalidParameter',
      message: expect.stringMatching(/AWS Managed CMK can.t be shared/),
    });
    expect([...image.launchPermissions]).toEqual([]);
  });

  it('refuses a copy of an image the caller may not launch, or whose snapshots it may not read', async () => {
    const image = availableImage('none');
    await expect(copyIntoVault(image)).rejects.toMatchObject({ name: 'InvalidAMIID.NotFound' });
    await shareWithVault(image, { snapshots: false });
    await expect(copyIntoVault(image)).rejects.toMatchObject({ name: 'InvalidRequest', message: NO_STORAGE_ACCESS });
    await expect(copyIntoVault(image, { KmsKeyId: 'alias/aws/ebs' })).rejects.toMatchObject({ name: 'InvalidParameterDependency' });
  });

  it('accepts a copy under a source key the vault may not use, then fails it with the reason and a failed event', async () => {
    const image = availableImage('cmk');
    await shareWithVault(image);
    const vaultKey = kms.createKey(VAULT, REGION);
    const { ImageId } = await copyIntoVault(image, { Encrypted: true, KmsKeyId: vaultKey.arn });
    cloud.clock.advance(COPY_MS);
    expect(await describeImage(VAULT, ImageId!)).toMatchObject({ State: 'failed', StateReason: { Message: KEY_NOT_ACCESSIBLE } });
    expect(amiEvents().map((e) => [e.account, e.detail])).toEqual([
      [VAULT, expect.objectContaining({ ImageId, State: 'failed', ErrorMessage: KEY_NOT_ACCESSIBLE })],
    ]);
  });

  it('keeps a failed copy’s name taken: the next copy needs another name, and a retried request with its ClientToken gets the first copy', async () => {
    const image = availableImage('cmk');
    await shareWithVault(image);
    const vaultKey = kms.createKey(VAULT, REGION);
    const { ImageId } = await copyIntoVault(image, { Encrypted: true, KmsKeyId: vaultKey.arn, ClientToken: 'attempt-1' });
    cloud.clock.advance(COPY_MS);
    expect(await describeImage(VAULT, ImageId!)).toMatchObject({ State: 'failed' });
    await expect(copyIntoVault(image, { Encrypted: true, KmsKeyId: vaultKey.arn })).rejects.toMatchObject({
      name: 'InvalidAMIName.Duplicate',
      message: expect.stringContaining(ImageId!),
    });
    expect((await copyIntoVault(image, { Encrypted: true, KmsKeyId: vaultKey.arn, ClientToken: 'attempt-1' })).ImageId).toBe(ImageId);
    expect((await copyIntoVault(image, { Name: 'copy-2' })).ImageId).not.toBe(ImageId);
  });

  it('copies a shared image under the share key into the vault, re-encrypted under the vault key, tagged, with its event', async () => {
    const image = availableImage('cmk', shareKey().arn);
    await shareWithVault(image);
    const vaultKey = kms.createKey(VAULT, REGION);
    const tags = [{ Key: 'backup-hub:source-id', Value: image.id }];
    const { ImageId } = await copyIntoVault(image, {
      Encrypted: true,
      KmsKeyId: vaultKey.arn,
      TagSpecifications: [
        { ResourceType: 'image', Tags: tags },
        { ResourceType: 'snapshot', Tags: tags },
      ],
    });
    expect(await describeImage(VAULT, ImageId!)).toMatchObject({ State: 'pending', OwnerId: VAULT, Tags: tags });
    cloud.clock.advance(COPY_MS);
    const copy = await describeImage(VAULT, ImageId!);
    expect(copy).toMatchObject({ State: 'available', SourceImageId: image.id });
    const snapshotId = copy.BlockDeviceMappings![0]!.Ebs!.SnapshotId!;
    const { Snapshots } = await client(VAULT).send(new DescribeSnapshotsCommand({ SnapshotIds: [snapshotId] }));
    expect(Snapshots).toMatchObject([{ OwnerId: VAULT, State: 'completed', Encrypted: true, KmsKeyId: vaultKey.arn, Tags: tags }]);
    expect(amiEvents()).toEqual([
      expect.objectContaining({ account: VAULT, detail: expect.objectContaining({ ImageId, State: 'available' }) }),
    ]);
  });

  it('refuses copies beyond the concurrent AMI copy quota of the destination region', async () => {
    setup({ imageCopyQuota: 1 });
    const image = availableImage('none');
    await shareWithVault(image);
    await copyIntoVault(image);
    await expect(copyIntoVault(image, { Name: 'second' })).rejects.toMatchObject({ name: 'ResourceLimitExceeded' });
    cloud.clock.advance(COPY_MS);
    await copyIntoVault(image, { Name: 'third' });
  });
});
