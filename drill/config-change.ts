import {
  AuthorizeSecurityGroupIngressCommand,
  DescribeInstancesCommand,
  DescribeSecurityGroupsCommand,
  type EC2Client,
  ModifyInstanceAttributeCommand,
  StartInstancesCommand,
  StopInstancesCommand,
} from '@aws-sdk/client-ec2';
import { ModifyDBInstanceCommand } from '@aws-sdk/client-rds';
import { describeError } from '../shared/aws/aws-errors.js';
import { AwsClients, ec2Client, rdsClient, s3Client } from '../shared/aws/clients.js';
import { compareCaptures } from '../shared/config-capture/compare.js';
import type { ConfigChange } from '../shared/config-capture/diff.js';
import type { ResourceList } from '../shared/config-capture/document.js';
import { CaptureNotFound, listCaptures, type StoredCapture } from '../shared/config-capture/store.js';
import type { DrillStep } from './drill-file.js';
import type { LocalHub } from './local-hub.js';

type ChangeConfigStep = Extract<DrillStep, { action: 'changeConfig' }>;

/** One configuration change a step made, as a capture diff names it: the list, the resource, the field. */
export interface MadeChange {
  list: ResourceList;
  resource: string;
  field: string;
}

/** A changeConfig step and what the vault's captures say about it. */
export interface ReportedConfigChange {
  account: string;
  region: string;
  /** When the step started and ended (simulated). */
  startedAt: string;
  endedAt: string;
  /** What the step changed, through the account's own APIs. */
  made: MadeChange[];
  /** The captures compared: the newest at the step's start, the first after its end. */
  from?: StoredCapture;
  to?: StoredCapture;
  /** What `backup-hub config diff --from <start> --to <capture after>` lists. */
  changes: ConfigChange[];
  /** Why there is no diff (no capture before or after the step). */
  reason?: string;
}

/** How often the admin's script looks at a stopping instance. */
const POLL_MS = 15_000;

/**
 * A source's administrator changes its configuration through the account's own EC2 and RDS APIs:
 * an instance type (stop, modify, start, as EC2 requires), ingress rules added to security groups,
 * DB instance classes (applied immediately). Instances and groups are named by their Name tag and
 * group name, as the admin knows them.
 */
export async function changeConfig(hub: LocalHub, step: ChangeConfigStep, region: string): Promise<ReportedConfigChange> {
  const aws = new AwsClients({ defaults: { ...hub.cloud.clientConfig(hub.cloud.adminCredentials(step.account), region) } });
  const ec2 = ec2Client(aws, region);
  const rds = rdsClient(aws, region);
  const startedAt = hub.cloud.clock.now().toISOString();
  const made: MadeChange[] = [];
  const note = (change: MadeChange) => {
    if (!made.some((m) => m.list === change.list && m.resource === change.resource && m.field === change.field)) made.push(change);
  };
  for (const [name, instanceType] of Object.entries(step.instanceTypes ?? {})) {
    const id = await instanceNamed(ec2, name);
    await ec2.send(new StopInstancesCommand({ InstanceIds: [id] }));
    while ((await instanceState(ec2, id)) !== 'stopped') await hub.cloud.advance(POLL_MS, { tickMs: POLL_MS });
    await ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: id, InstanceType: { Value: instanceType } }));
    await ec2.send(new StartInstancesCommand({ InstanceIds: [id] }));
    note({ list: 'instances', resource: id, field: 'instanceType' });
  }
  for (const rule of step.ingress ?? []) {
    const { SecurityGroups } = await ec2.send(
      new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: [rule.group] }] }),
    );
    const groupId = SecurityGroups?.[0]?.GroupId;
    if (!groupId) throw new Error(`no security group named ${rule.group} in ${step.account} ${region}`);
    await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: groupId,
        IpPermissions: [{ IpProtocol: rule.protocol, FromPort: rule.port, ToPort: rule.port, IpRanges: [{ CidrIp: rule.cidr }] }],
      }),
    );
    note({ list: 'securityGroups', resource: groupId, field: 'ingress' });
  }
  for (const [db, instanceClass] of Object.entries(step.dbInstanceClasses ?? {})) {
    await rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: db, DBInstanceClass: instanceClass, ApplyImmediately: true }));
    note({ list: 'dbInstances', resource: db, field: 'instanceClass' });
  }
  return { account: step.account, region, startedAt, endedAt: hub.cloud.clock.now().toISOString(), made, changes: [] };
}

/**
 * Each change step with the diff between the capture as of its start and the first capture after
 * it, computed as `backup-hub config diff` computes it, through the restore role that command runs as.
 */
export async function diffConfigChanges(hub: LocalHub, steps: ReportedConfigChange[]): Promise<ReportedConfigChange[]> {
  const ctx = hub.restoreContext;
  const vault = { account: ctx.config.vaultAccountId, region: ctx.config.vaultRegion, keyArn: ctx.config.vaultKeyArn };
  const s3 = s3Client(ctx.aws, vault.region);
  const reported: ReportedConfigChange[] = [];
  for (const step of steps) {
    const after = await listCaptures(s3, vault, step.account, step.region).then(
      (captures) => captures.find((c) => c.capturedAt > step.endedAt),
      (error: unknown) => describeError(error),
    );
    if (typeof after === 'string') {
      reported.push({ ...step, reason: `the captures could not be listed: ${after}` });
      continue;
    }
    if (!after) {
      reported.push({ ...step, reason: `no capture of ${step.account} ${step.region} after the change: the drill ended before one ran` });
      continue;
    }
    try {
      const { from, to, changes } = await compareCaptures(s3, vault, step, {
        from: new Date(step.startedAt),
        to: new Date(after.capturedAt),
      });
      reported.push({ ...step, from, to, changes });
    } catch (error) {
      // A refused read is in the report's refusedCalls too: the drill reports it, never stops on it.
      reported.push({ ...step, reason: error instanceof CaptureNotFound ? error.message : describeError(error) });
    }
  }
  return reported;
}

async function instanceNamed(ec2: EC2Client, name: string): Promise<string> {
  const { Reservations } = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag:Name', Values: [name] }] }));
  const id = Reservations?.[0]?.Instances?.[0]?.InstanceId;
  if (!id) throw new Error(`no instance named ${name}`);
  return id;
}

async function instanceState(ec2: EC2Client, id: string): Promise<string | undefined> {
  const { Reservations } = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
  return Reservations?.[0]?.Instances?.[0]?.State?.Name;
}
