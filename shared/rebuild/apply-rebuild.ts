import {
  AssociateRouteTableCommand,
  AttachVolumeCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateRouteTableCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVolumeCommand,
  CreateVpcCommand,
  DescribeInstancesCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVolumesCommand,
  DescribeVpcsCommand,
  type EC2Client,
  RunInstancesCommand,
  type TagSpecification,
} from '@aws-sdk/client-ec2';
import {
  CreateDBInstanceCommand,
  CreateDBSubnetGroupCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  DescribeDBSubnetGroupsCommand,
  type RDSClient,
  RestoreDBClusterFromSnapshotCommand,
  RestoreDBInstanceFromDBSnapshotCommand,
} from '@aws-sdk/client-rds';
import { describeError, isAwsError } from '../aws/aws-errors.js';
import type { ConfigDocument } from '../config-capture/document.js';
import type { RebuildPlan, RebuildStep } from './rebuild-plan.js';

/** Every resource a rebuild makes carries the id of the captured resource it replaces: a re-run finds it instead of making another. */
export const REBUILD_TAG = 'backup-hub:rebuild-of';

/** A rebuilt system: when it was running (instance) or available (database), counted from `since`. */
export interface RebuiltSystem {
  kind: 'instance' | 'db-instance' | 'db-cluster';
  name: string;
  restoredFrom: string;
  status: 'running' | 'available' | 'failed';
  minutes: number;
  detail?: string;
}

export interface RebuildResult {
  steps: { kind: RebuildStep['kind']; name: string; status: 'done' | 'failed'; seconds: number; detail: string }[];
  rebuilt: RebuiltSystem[];
}

export interface RebuildOptions {
  ec2: EC2Client;
  rds: RDSClient;
  now(): Date;
  wait(ms: number): Promise<void>;
  log(line: string): void;
  /** What the systems' minutes count from (the restore's start); the rebuild's start by default. */
  since?: Date;
  pollMs?: number;
  /** A system not running or available this long after the start is given up (2 h by default). */
  deadlineMs?: number;
}

/**
 * Carries out a rebuild plan in the recovery account, step by step in dependency order, each step
 * timed; then waits until every instance runs and every database is available, and records when.
 * Resumable: each step first looks for what an earlier run made (EC2 resources by their
 * {@link REBUILD_TAG}, DB subnet groups and databases by name) and only makes what is missing. One
 * failed step fails what depends on it, never the others.
 */
export async function applyRebuild(plan: RebuildPlan, doc: ConfigDocument, options: RebuildOptions): Promise<RebuildResult> {
  const { ec2, rds } = options;
  const started = options.now().getTime();
  const since = (options.since ?? options.now()).getTime();
  const seconds = () => Math.round((options.now().getTime() - started) / 1000);
  const ids = new Map<string, string>(); // captured id → rebuilt id
  const mapped = (id: string) => {
    const found = ids.get(id);
    if (!found) throw new Error(`${id} was not rebuilt (an earlier step failed)`);
    return found;
  };
  const result: RebuildResult = { steps: [], rebuilt: [] };
  const tagged = (type: string, source: string, tags: Record<string, string> = {}): TagSpecification[] => [
    {
      ResourceType: type as TagSpecification['ResourceType'],
      Tags: [...Object.entries(tags).map(([Key, Value]) => ({ Key, Value })), { Key: REBUILD_TAG, Value: source }],
    },
  ];
  const filter = (source: string) => [{ Name: `tag:${REBUILD_TAG}`, Values: [source] }];

  const make: Record<RebuildStep['kind'], (step: RebuildStep) => Promise<string>> = {
    async vpc(step) {
      const vpc = doc.vpcs.find((v) => v.id === step.source)!;
      const found = (await ec2.send(new DescribeVpcsCommand({ Filters: filter(vpc.id) }))).Vpcs?.[0]?.VpcId;
      return (
        found ??
        (await ec2.send(new CreateVpcCommand({ CidrBlock: vpc.cidrBlock, TagSpecifications: tagged('vpc', vpc.id, vpc.tags) }))).Vpc!.VpcId!
      );
    },
    async subnet(step) {
      const s = doc.subnets.find((x) => x.id === step.source)!;
      const found = (await ec2.send(new DescribeSubnetsCommand({ Filters: filter(s.id) }))).Subnets?.[0]?.SubnetId;
      if (found) return found;
      const made = await ec2.send(
        new CreateSubnetCommand({
          VpcId: mapped(s.vpcId),
          CidrBlock: s.cidrBlock,
          AvailabilityZone: s.availabilityZone,
          TagSpecifications: tagged('subnet', s.id, s.tags),
        }),
      );
      return made.Subnet!.SubnetId!;
    },
    async 'route-table'(step) {
      const t = doc.routeTables.find((x) => x.id === step.source)!;
      const found = (await ec2.send(new DescribeRouteTablesCommand({ Filters: filter(t.id) }))).RouteTables?.[0];
      const id =
        found?.RouteTableId ??
        (await ec2.send(new CreateRouteTableCommand({ VpcId: mapped(t.vpcId), TagSpecifications: tagged('route-table', t.id, t.tags) })))
          .RouteTable!.RouteTableId!;
      const associated = new Set((found?.Associations ?? []).map((a) => a.SubnetId));
      for (const subnet of t.subnetIds)
        if (!associated.has(mapped(subnet))) await ec2.send(new AssociateRouteTableCommand({ RouteTableId: id, SubnetId: mapped(subnet) }));
      return id;
    },
    async 'security-group'(step) {
      const g = doc.securityGroups.find((x) => x.id === step.source)!;
      const vpcId = mapped(g.vpcId);
      const found = (
        await ec2.send(
          new DescribeSecurityGroupsCommand({
            Filters: [
              { Name: 'group-name', Values: [g.name] },
              { Name: 'vpc-id', Values: [vpcId] },
            ],
          }),
        )
      ).SecurityGroups?.[0]?.GroupId;
      const id =
        found ??
        (
          await ec2.send(
            new CreateSecurityGroupCommand({
              GroupName: g.name,
              Description: g.description || g.name,
              VpcId: vpcId,
              TagSpecifications: tagged('security-group', g.id, g.tags),
            }),
          )
        ).GroupId!;
      ids.set(g.id, id);
      return id;
    },
    async 'db-subnet-group'(step) {
      const g = doc.dbSubnetGroups.find((x) => x.name === step.source)!;
      try {
        await rds.send(new DescribeDBSubnetGroupsCommand({ DBSubnetGroupName: g.name }));
      } catch (error) {
        if (!isAwsError(error, 'DBSubnetGroupNotFoundFault')) throw error;
        await rds.send(
          new CreateDBSubnetGroupCommand({
            DBSubnetGroupName: g.name,
            DBSubnetGroupDescription: g.description || g.name,
            SubnetIds: g.subnetIds.map(mapped),
          }),
        );
      }
      return g.name;
    },
    async instance(step) {
      const i = doc.instances.find((x) => x.id === step.source)!;
      const found = (await ec2.send(new DescribeInstancesCommand({ Filters: filter(i.id) }))).Reservations?.[0]?.Instances?.[0]?.InstanceId;
      if (found) return found;
      const profile = i.instanceProfileArn?.slice(i.instanceProfileArn.lastIndexOf('/') + 1);
      const run = await ec2.send(
        new RunInstancesCommand({
          ImageId: step.restoredFrom!,
          MinCount: 1,
          MaxCount: 1,
          InstanceType: i.instanceType as never,
          KeyName: i.keyName,
          ...(i.subnetId ? { SubnetId: mapped(i.subnetId) } : { Placement: { AvailabilityZone: i.availabilityZone } }),
          SecurityGroupIds: i.securityGroupIds.filter((g) => ids.has(g)).map(mapped),
          ...(profile ? { IamInstanceProfile: { Name: profile } } : {}),
          TagSpecifications: tagged('instance', i.id, i.tags),
        }),
      );
      return run.Instances![0]!.InstanceId!;
    },
    async volume(step) {
      const v = doc.volumes.find((x) => x.id === step.source)!;
      const instanceId = mapped(v.attachment!.instanceId);
      let volume = (await ec2.send(new DescribeVolumesCommand({ Filters: filter(v.id) }))).Volumes?.[0];
      if (!volume) {
        const instance = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }))).Reservations![0]!.Instances![0]!;
        volume = await ec2.send(
          new CreateVolumeCommand({
            AvailabilityZone: instance.Placement!.AvailabilityZone!,
            SnapshotId: step.restoredFrom,
            Size: v.sizeGiB,
            VolumeType: v.volumeType as never,
            TagSpecifications: tagged('volume', v.id, v.tags),
          }),
        );
      }
      while (volume.State === 'creating') {
        await options.wait(options.pollMs ?? 15_000);
        volume = (await ec2.send(new DescribeVolumesCommand({ VolumeIds: [volume.VolumeId!] }))).Volumes![0]!;
      }
      if (volume.State === 'available')
        await ec2.send(new AttachVolumeCommand({ VolumeId: volume.VolumeId, InstanceId: instanceId, Device: v.attachment!.device }));
      return volume.VolumeId!;
    },
    async 'db-cluster'(step) {
      const c = doc.dbClusters.find((x) => x.id === step.source)!;
      await ensureDatabase(rds, 'cluster', c.id, () =>
        rds.send(
          new RestoreDBClusterFromSnapshotCommand({
            DBClusterIdentifier: c.id,
            SnapshotIdentifier: step.restoredFrom,
            Engine: c.engine,
            EngineVersion: c.engineVersion,
            DBSubnetGroupName: c.subnetGroup,
            VpcSecurityGroupIds: c.securityGroupIds.filter((g) => ids.has(g)).map(mapped),
            Tags: [...tags(c.tags), { Key: REBUILD_TAG, Value: c.id }],
          }),
        ),
      );
      const members = doc.dbInstances.filter((d) => d.clusterId === c.id);
      for (const m of members)
        await ensureDatabase(rds, 'instance', m.id, () =>
          rds.send(
            new CreateDBInstanceCommand({
              DBInstanceIdentifier: m.id,
              DBClusterIdentifier: c.id,
              DBInstanceClass: m.instanceClass,
              Engine: c.engine,
            }),
          ),
        );
      return c.id;
    },
    async 'db-instance'(step) {
      const d = doc.dbInstances.find((x) => x.id === step.source)!;
      await ensureDatabase(rds, 'instance', d.id, () =>
        rds.send(
          new RestoreDBInstanceFromDBSnapshotCommand({
            DBInstanceIdentifier: d.id,
            DBSnapshotIdentifier: step.restoredFrom,
            DBInstanceClass: d.instanceClass,
            DBSubnetGroupName: d.subnetGroup,
            VpcSecurityGroupIds: d.securityGroupIds.filter((g) => ids.has(g)).map(mapped),
            MultiAZ: d.multiAZ,
            StorageType: d.storageType,
            Tags: [...tags(d.tags), { Key: REBUILD_TAG, Value: d.id }],
          }),
        ),
      );
      return d.id;
    },
  };

  // A group's rules once every group they name is made: a rule may name a group made after its own.
  const ruled = new Set<string>();
  const authorizeReady = async () => {
    for (const g of doc.securityGroups)
      if (ids.has(g.id) && !ruled.has(g.id) && g.ingress.every((r) => r.groupIds.every((x) => ids.has(x)))) {
        await authorizeRules(ec2, g, ids);
        ruled.add(g.id);
      }
  };
  const say = (line: string) => options.log(`[rebuild +${seconds()} s] ${line}`);
  for (const step of plan.steps) {
    try {
      const id = await make[step.kind](step);
      ids.set(step.source, id);
      if (step.kind === 'security-group') await authorizeReady();
      result.steps.push({ kind: step.kind, name: step.name, status: 'done', seconds: seconds(), detail: id });
      say(`${step.kind} ${step.name}: ${id}`);
    } catch (error) {
      result.steps.push({ kind: step.kind, name: step.name, status: 'failed', seconds: seconds(), detail: describeError(error) });
      say(`${step.kind} ${step.name}: FAILED: ${describeError(error)}`);
    }
  }
  result.rebuilt = await waitForSystems(plan, ids, result, { ...options, sinceMs: since, started });
  return result;
}

/** The captured ingress rules of a group, with rebuilt group ids; a rule already there is left as it is. */
async function authorizeRules(ec2: EC2Client, group: ConfigDocument['securityGroups'][number], ids: Map<string, string>): Promise<void> {
  for (const rule of group.ingress) {
    try {
      await ec2.send(
        new AuthorizeSecurityGroupIngressCommand({
          GroupId: ids.get(group.id),
          IpPermissions: [
            {
              IpProtocol: rule.protocol,
              FromPort: rule.fromPort,
              ToPort: rule.toPort,
              IpRanges: rule.cidrs.map((CidrIp) => ({ CidrIp })),
              UserIdGroupPairs: rule.groupIds.map((g) => ({ GroupId: ids.get(g) })),
            },
          ],
        }),
      );
    } catch (error) {
      if (!isAwsError(error, 'InvalidPermission.Duplicate')) throw error;
    }
  }
}

/** Polls the rebuilt instances and databases until each runs or is available, or the deadline passes. */
async function waitForSystems(
  plan: RebuildPlan,
  ids: Map<string, string>,
  result: RebuildResult,
  options: RebuildOptions & { sinceMs: number; started: number },
): Promise<RebuiltSystem[]> {
  const failed = new Set(result.steps.filter((s) => s.status === 'failed').map((s) => `${s.kind}|${s.name}`));
  const systems = plan.steps.filter((s) => ['instance', 'db-instance', 'db-cluster'].includes(s.kind));
  const done = new Map<string, RebuiltSystem>();
  const minutes = () => Math.round(((options.now().getTime() - options.sinceMs) / 60_000) * 10) / 10;
  for (const s of systems)
    if (failed.has(`${s.kind}|${s.name}`) || !ids.has(s.source))
      done.set(s.source, {
        kind: s.kind as RebuiltSystem['kind'],
        name: s.name,
        restoredFrom: s.restoredFrom!,
        status: 'failed',
        minutes: minutes(),
        detail: 'not created',
      });
  const deadline = options.started + (options.deadlineMs ?? 2 * 3_600_000);
  while (done.size < systems.length) {
    for (const s of systems.filter((x) => !done.has(x.source))) {
      const ready = await isReady(s, ids.get(s.source)!, options);
      if (ready)
        done.set(s.source, {
          kind: s.kind as RebuiltSystem['kind'],
          name: s.name,
          restoredFrom: s.restoredFrom!,
          status: ready,
          minutes: minutes(),
        });
    }
    if (done.size === systems.length) break;
    if (options.now().getTime() >= deadline) {
      for (const s of systems.filter((x) => !done.has(x.source)))
        done.set(s.source, {
          kind: s.kind as RebuiltSystem['kind'],
          name: s.name,
          restoredFrom: s.restoredFrom!,
          status: 'failed',
          minutes: minutes(),
          detail: 'not ready by the deadline',
        });
      break;
    }
    await options.wait(options.pollMs ?? 15_000);
  }
  for (const system of done.values())
    options.log(
      `${system.kind} ${system.name}: ${system.status === 'failed' ? `FAILED (${system.detail})` : system.status} at ${system.minutes} min`,
    );
  return systems.map((s) => done.get(s.source)!);
}

async function isReady(step: RebuildStep, id: string, { ec2, rds }: RebuildOptions): Promise<'running' | 'available' | undefined> {
  if (step.kind === 'instance') {
    const state = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations?.[0]?.Instances?.[0]?.State?.Name;
    return state === 'running' ? 'running' : undefined;
  }
  if (step.kind === 'db-instance') {
    const status = (await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }))).DBInstances?.[0]?.DBInstanceStatus;
    return status === 'available' ? 'available' : undefined;
  }
  // A cluster is up when it and every one of its instances are available.
  const cluster = (await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: id }))).DBClusters?.[0];
  if (cluster?.Status !== 'available') return undefined;
  for (const m of cluster.DBClusterMembers ?? []) {
    const status = (await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: m.DBInstanceIdentifier }))).DBInstances?.[0]
      ?.DBInstanceStatus;
    if (status !== 'available') return undefined;
  }
  return 'available';
}

/**
 * Creates a DB cluster or instance unless one by its identifier is there already (made by the run
 * that stopped): RDS keeps identifiers unique, so its not-found fault alone lets the create go ahead.
 */
async function ensureDatabase(rds: RDSClient, family: 'cluster' | 'instance', id: string, create: () => Promise<unknown>): Promise<void> {
  try {
    await rds.send(
      family === 'cluster'
        ? new DescribeDBClustersCommand({ DBClusterIdentifier: id })
        : new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }),
    );
  } catch (error) {
    if (!isAwsError(error, family === 'cluster' ? 'DBClusterNotFoundFault' : 'DBInstanceNotFoundFault')) throw error;
    await create();
  }
}

const tags = (t: Record<string, string>) => Object.entries(t).map(([Key, Value]) => ({ Key, Value }));
