import { AwsError } from '../../core/errors.js';
import { ec2Id, notFound } from './ids.js';
import { addTags, type TagInput } from './tags.js';

/** One permission of a security group rule set, as AuthorizeSecurityGroupIngress takes it. */
export interface SecurityGroupRule {
  /** `tcp`, `udp`, `icmp` or `-1` (all). */
  ipProtocol: string;
  fromPort?: number;
  toPort?: number;
  cidrIps: string[];
  /** Other groups of the account allowed by this rule. */
  groupIds: string[];
}

interface NetworkResource {
  readonly id: string;
  readonly account: string;
  readonly region: string;
  readonly tags: Map<string, string>;
}

export interface SimVpc extends NetworkResource {
  readonly cidrBlock: string;
}

export interface SimSubnet extends NetworkResource {
  readonly vpcId: string;
  readonly cidrBlock: string;
  readonly availabilityZone: string;
}

export interface SimRoute {
  destinationCidrBlock: string;
  /** `local` for the VPC's own range, or an internet or NAT gateway id. */
  gatewayId: string;
}

export interface SimRouteTable extends NetworkResource {
  readonly vpcId: string;
  /** The VPC's main route table: subnets without an explicit association use it. */
  readonly main: boolean;
  readonly routes: SimRoute[];
  /** Associations: id → subnet id. */
  readonly associations: Map<string, string>;
}

export interface SimSecurityGroup extends NetworkResource {
  readonly vpcId: string;
  readonly groupName: string;
  readonly description: string;
  readonly ingress: SecurityGroupRule[];
  readonly egress: SecurityGroupRule[];
}

/** "The allowed block size is between a /16 netmask and /28 netmask" (Amazon VPC User Guide, VPC CIDR blocks). */
const MIN_PREFIX = 16;
const MAX_PREFIX = 28;

/** The rule every new security group starts with: "allows all outbound traffic" (Amazon VPC User Guide, Security groups). */
const ALLOW_ALL_OUT: SecurityGroupRule = { ipProtocol: '-1', cidrIps: ['0.0.0.0/0'], groupIds: [] };

/**
 * The VPCs of every account and what lives in them: subnets, route tables and security groups.
 * Creating a VPC creates its main route table (with the `local` route) and its `default` security
 * group, as Amazon VPC does.
 */
export class NetworkStore {
  readonly vpcs = new Map<string, SimVpc>();
  readonly subnets = new Map<string, SimSubnet>();
  readonly routeTables = new Map<string, SimRouteTable>();
  readonly securityGroups = new Map<string, SimSecurityGroup>();

  /** @throws AwsError InvalidVpc.Range for a block outside /16 to /28, InvalidParameterValue for a malformed one */
  createVpc(account: string, region: string, cidrBlock: string, tags: TagInput[] = []): SimVpc {
    const prefix = parseCidr(cidrBlock).prefix;
    if (prefix < MIN_PREFIX || prefix > MAX_PREFIX) throw new AwsError('InvalidVpc.Range', `The CIDR '${cidrBlock}' is invalid.`);
    const vpc: SimVpc = { id: ec2Id('vpc'), account, region, cidrBlock, tags: tagged(tags) };
    this.vpcs.set(vpc.id, vpc);
    const main: SimRouteTable = {
      id: ec2Id('rtb'),
      account,
      region,
      vpcId: vpc.id,
      main: true,
      routes: [{ destinationCidrBlock: cidrBlock, gatewayId: 'local' }],
      associations: new Map(),
      tags: new Map(),
    };
    this.routeTables.set(main.id, main);
    this.createSecurityGroup(account, region, { vpcId: vpc.id, groupName: 'default', description: 'default VPC security group' });
    return vpc;
  }

  /** @throws AwsError InvalidVpcID.NotFound, InvalidSubnet.Range (outside the VPC), InvalidSubnet.Conflict (overlapping) */
  createSubnet(account: string, region: string, spec: { vpcId: string; cidrBlock: string; availabilityZone?: string; tags?: TagInput[] }) {
    const vpc = this.vpc(account, region, spec.vpcId);
    const range = parseCidr(spec.cidrBlock);
    if (range.prefix > MAX_PREFIX || !contains(parseCidr(vpc.cidrBlock), range))
      throw new AwsError('InvalidSubnet.Range', `The CIDR '${spec.cidrBlock}' is invalid.`);
    for (const other of this.subnets.values())
      if (other.vpcId === vpc.id && overlaps(parseCidr(other.cidrBlock), range))
        throw new AwsError('InvalidSubnet.Conflict', `The CIDR '${spec.cidrBlock}' conflicts with another subnet`);
    const subnet: SimSubnet = {
      id: ec2Id('subnet'),
      account,
      region,
      vpcId: vpc.id,
      cidrBlock: spec.cidrBlock,
      availabilityZone: spec.availabilityZone ?? `${region}a`,
      tags: tagged(spec.tags ?? []),
    };
    if (!subnet.availabilityZone.startsWith(region))
      throw new AwsError('InvalidParameterValue', `Value (${subnet.availabilityZone}) for parameter availabilityZone is invalid.`);
    this.subnets.set(subnet.id, subnet);
    return subnet;
  }

  /** @throws AwsError InvalidVpcID.NotFound */
  createRouteTable(account: string, region: string, vpcId: string, tags: TagInput[] = []): SimRouteTable {
    const vpc = this.vpc(account, region, vpcId);
    const table: SimRouteTable = {
      id: ec2Id('rtb'),
      account,
      region,
      vpcId,
      main: false,
      routes: [{ destinationCidrBlock: vpc.cidrBlock, gatewayId: 'local' }],
      associations: new Map(),
      tags: tagged(tags),
    };
    this.routeTables.set(table.id, table);
    return table;
  }

  /** @throws AwsError InvalidRouteTableID.NotFound, InvalidSubnetID.NotFound, Resource.AlreadyAssociated */
  associateRouteTable(account: string, region: string, routeTableId: string, subnetId: string): string {
    const table = this.routeTable(account, region, routeTableId);
    const subnet = this.subnet(account, region, subnetId);
    for (const other of this.routeTables.values())
      if ([...other.associations.values()].includes(subnet.id))
        throw new AwsError(
          'Resource.AlreadyAssociated',
          `the specified association for route table ${other.id} conflicts with an existing association`,
        );
    const id = ec2Id('rtbassoc');
    table.associations.set(id, subnet.id);
    return id;
  }

  /** @throws AwsError InvalidRouteTableID.NotFound, RouteAlreadyExists */
  createRoute(account: string, region: string, routeTableId: string, route: SimRoute): void {
    const table = this.routeTable(account, region, routeTableId);
    parseCidr(route.destinationCidrBlock);
    if (table.routes.some((r) => r.destinationCidrBlock === route.destinationCidrBlock))
      throw new AwsError('RouteAlreadyExists', `The route identified by ${route.destinationCidrBlock} already exists.`);
    table.routes.push(route);
  }

  /** @throws AwsError InvalidVpcID.NotFound, InvalidGroup.Duplicate (a name is unique in its VPC) */
  createSecurityGroup(
    account: string,
    region: string,
    spec: { vpcId: string; groupName: string; description: string; tags?: TagInput[] },
  ): SimSecurityGroup {
    this.vpc(account, region, spec.vpcId);
    for (const other of this.securityGroups.values())
      if (other.vpcId === spec.vpcId && other.groupName === spec.groupName)
        throw new AwsError('InvalidGroup.Duplicate', `The security group '${spec.groupName}' already exists for VPC '${spec.vpcId}'`);
    const group: SimSecurityGroup = {
      id: ec2Id('sg'),
      account,
      region,
      vpcId: spec.vpcId,
      groupName: spec.groupName,
      description: spec.description,
      ingress: [],
      egress: [{ ...ALLOW_ALL_OUT }],
      tags: tagged(spec.tags ?? []),
    };
    this.securityGroups.set(group.id, group);
    return group;
  }

  /** @throws AwsError InvalidGroup.NotFound (the group or a group a rule names), InvalidPermission.Duplicate */
  authorizeIngress(account: string, region: string, groupId: string, rules: SecurityGroupRule[]): void {
    const group = this.securityGroup(account, region, groupId);
    for (const rule of rules) {
      for (const id of rule.groupIds) this.securityGroup(account, region, id);
      for (const cidr of rule.cidrIps) parseCidr(cidr);
      if (group.ingress.some((r) => sameRule(r, rule)))
        throw new AwsError('InvalidPermission.Duplicate', `the specified rule already exists in ${groupId}`);
    }
    group.ingress.push(...rules);
  }

  vpc(account: string, region: string, id: string): SimVpc {
    return owned(this.vpcs, account, region, id, 'InvalidVpcID.NotFound', 'vpc ID');
  }

  subnet(account: string, region: string, id: string): SimSubnet {
    return owned(this.subnets, account, region, id, 'InvalidSubnetID.NotFound', 'subnet ID');
  }

  routeTable(account: string, region: string, id: string): SimRouteTable {
    return owned(this.routeTables, account, region, id, 'InvalidRouteTableID.NotFound', 'routeTable ID');
  }

  securityGroup(account: string, region: string, id: string): SimSecurityGroup {
    return owned(this.securityGroups, account, region, id, 'InvalidGroup.NotFound', 'security group');
  }

  /** Every resource of one kind an account has in a region, oldest first. */
  list<T extends NetworkResource>(store: Map<string, T>, account: string, region: string): T[] {
    return [...store.values()].filter((r) => r.account === account && r.region === region);
  }

  removeAccount(account: string): void {
    for (const store of [this.vpcs, this.subnets, this.routeTables, this.securityGroups] as Map<string, NetworkResource>[])
      for (const [id, resource] of store) if (resource.account === account) store.delete(id);
  }
}

function owned<T extends NetworkResource>(
  store: Map<string, T>,
  account: string,
  region: string,
  id: string,
  code: string,
  kind: string,
): T {
  const resource = store.get(id);
  if (!resource || resource.account !== account || resource.region !== region) throw notFound(code, kind, id);
  return resource;
}

function tagged(tags: TagInput[]): Map<string, string> {
  const map = new Map<string, string>();
  addTags(map, tags);
  return map;
}

/** A rule is a duplicate when protocol and ports match and it allows any source the other already does. */
function sameRule(a: SecurityGroupRule, b: SecurityGroupRule): boolean {
  const sources = new Set([...a.cidrIps, ...a.groupIds]);
  return (
    a.ipProtocol === b.ipProtocol &&
    a.fromPort === b.fromPort &&
    a.toPort === b.toPort &&
    [...b.cidrIps, ...b.groupIds].some((s) => sources.has(s))
  );
}

interface Cidr {
  base: number;
  prefix: number;
}

/** @throws AwsError InvalidParameterValue for anything but an IPv4 block `a.b.c.d/n` */
function parseCidr(text: string): Cidr {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text);
  const octets = match?.slice(1, 5).map(Number) ?? [];
  const prefix = Number(match?.[5]);
  if (!match || octets.some((o) => o > 255) || prefix > 32)
    throw new AwsError('InvalidParameterValue', `Value (${text}) for parameter cidrBlock is invalid. This is not a valid CIDR block.`);
  const base = octets.reduce((n, o) => n * 256 + o, 0);
  return { base: base - (base % 2 ** (32 - prefix)), prefix };
}

const size = (c: Cidr) => 2 ** (32 - c.prefix);
const contains = (outer: Cidr, inner: Cidr) =>
  inner.prefix >= outer.prefix && inner.base >= outer.base && inner.base < outer.base + size(outer);
const overlaps = (a: Cidr, b: Cidr) => a.base < b.base + size(b) && b.base < a.base + size(a);
