import type { CallContext } from '../../../core/service.js';
import type { Ec2Sim } from '../ec2.js';
import type { SecurityGroupRule, SimRouteTable, SimSecurityGroup, SimSubnet, SimVpc } from '../network.js';
import { applyFilters, type FilterFields, readFilters } from './filters.js';
import type { Ec2Input } from './input.js';
import { paginate } from './paginate.js';
import { readTagSpecifications, tagSet } from './tags.js';

type Action = (ec2: Ec2Sim, input: Ec2Input, ctx: CallContext) => unknown;

const VPC_FILTERS: FilterFields<SimVpc> = { 'vpc-id': (v) => [v.id], 'cidr-block': (v) => [v.cidrBlock], state: () => ['available'] };
const SUBNET_FILTERS: FilterFields<SimSubnet> = {
  'subnet-id': (s) => [s.id],
  'vpc-id': (s) => [s.vpcId],
  'availability-zone': (s) => [s.availabilityZone],
  'cidr-block': (s) => [s.cidrBlock],
};
const ROUTE_TABLE_FILTERS: FilterFields<SimRouteTable> = {
  'route-table-id': (t) => [t.id],
  'vpc-id': (t) => [t.vpcId],
  'association.main': (t) => [String(t.main)],
  'association.subnet-id': (t) => [...t.associations.values()],
};
const GROUP_FILTERS: FilterFields<SimSecurityGroup> = {
  'group-id': (g) => [g.id],
  'group-name': (g) => [g.groupName],
  'vpc-id': (g) => [g.vpcId],
};

/** The VPC actions of the EC2 API: VPCs, subnets, route tables and security groups, an account's own only. */
export const networkActions: Record<string, Action> = {
  CreateVpc(ec2, input, ctx) {
    const vpc = ec2.network.createVpc(ctx.account, ctx.region, input.string('CidrBlock'), readTagSpecifications(input, 'vpc'));
    return { vpc: vpcItem(vpc) };
  },
  DescribeVpcs: (ec2, input, ctx) => describe('vpcSet', ec2.network.vpcs, ec2, input, ctx, 'VpcId', VPC_FILTERS, vpcItem),

  CreateSubnet(ec2, input, ctx) {
    const subnet = ec2.network.createSubnet(ctx.account, ctx.region, {
      vpcId: input.string('VpcId'),
      cidrBlock: input.string('CidrBlock'),
      availabilityZone: input.optionalString('AvailabilityZone'),
      tags: readTagSpecifications(input, 'subnet'),
    });
    return { subnet: subnetItem(subnet) };
  },
  DescribeSubnets: (ec2, input, ctx) => describe('subnetSet', ec2.network.subnets, ec2, input, ctx, 'SubnetId', SUBNET_FILTERS, subnetItem),

  CreateRouteTable(ec2, input, ctx) {
    const table = ec2.network.createRouteTable(ctx.account, ctx.region, input.string('VpcId'), readTagSpecifications(input, 'route-table'));
    return { routeTable: routeTableItem(table) };
  },
  AssociateRouteTable(ec2, input, ctx) {
    const id = ec2.network.associateRouteTable(ctx.account, ctx.region, input.string('RouteTableId'), input.string('SubnetId'));
    return { associationId: id, associationState: { state: 'associated' } };
  },
  CreateRoute(ec2, input, ctx) {
    ec2.network.createRoute(ctx.account, ctx.region, input.string('RouteTableId'), {
      destinationCidrBlock: input.string('DestinationCidrBlock'),
      gatewayId: input.optionalString('GatewayId') ?? input.string('NatGatewayId'),
    });
    return { return: true };
  },
  DescribeRouteTables: (ec2, input, ctx) =>
    describe('routeTableSet', ec2.network.routeTables, ec2, input, ctx, 'RouteTableId', ROUTE_TABLE_FILTERS, routeTableItem),

  CreateSecurityGroup(ec2, input, ctx) {
    const group = ec2.network.createSecurityGroup(ctx.account, ctx.region, {
      vpcId: input.string('VpcId'),
      groupName: input.string('GroupName'),
      description: input.string('GroupDescription'),
      tags: readTagSpecifications(input, 'security-group'),
    });
    return { return: true, groupId: group.id };
  },
  AuthorizeSecurityGroupIngress(ec2, input, ctx) {
    ec2.network.authorizeIngress(ctx.account, ctx.region, input.string('GroupId'), readPermissions(input));
    return { return: true };
  },
  DescribeSecurityGroups: (ec2, input, ctx) =>
    describe('securityGroupInfo', ec2.network.securityGroups, ec2, input, ctx, 'GroupId', GROUP_FILTERS, groupItem),
};

/** A Describe of one network kind: the caller's own in the region, by id list and filters, paged. */
function describe<T extends SimVpc | SimSubnet | SimRouteTable | SimSecurityGroup>(
  set: string,
  store: Map<string, T>,
  ec2: Ec2Sim,
  input: Ec2Input,
  ctx: CallContext,
  idParam: string,
  filters: FilterFields<T>,
  item: (resource: T) => Record<string, unknown>,
): Record<string, unknown> {
  const ids = new Set(input.strings(idParam));
  const own = ec2.network.list(store, ctx.account, ctx.region).filter((r) => ids.size === 0 || ids.has(r.id));
  const { page, nextToken } = paginate(applyFilters(own, readFilters(input), filters), input);
  return { [set]: { item: page.map(item) }, nextToken };
}

/** `IpPermissions.N`: protocol, ports, `IpRanges.M.CidrIp` and `Groups.M.GroupId` (the query names of IpRanges and UserIdGroupPairs). */
function readPermissions(input: Ec2Input): SecurityGroupRule[] {
  type Wire = {
    IpProtocol?: string;
    FromPort?: string;
    ToPort?: string;
    IpRanges?: { CidrIp?: string }[];
    Groups?: { GroupId?: string }[];
  };
  return input.list<Wire>('IpPermissions').map((p) => ({
    ipProtocol: p.IpProtocol ?? '-1',
    fromPort: p.FromPort === undefined ? undefined : Number(p.FromPort),
    toPort: p.ToPort === undefined ? undefined : Number(p.ToPort),
    cidrIps: (p.IpRanges ?? []).flatMap((r) => (r.CidrIp ? [r.CidrIp] : [])),
    groupIds: (p.Groups ?? []).flatMap((g) => (g.GroupId ? [g.GroupId] : [])),
  }));
}

function vpcItem(vpc: SimVpc): Record<string, unknown> {
  return { vpcId: vpc.id, ownerId: vpc.account, cidrBlock: vpc.cidrBlock, state: 'available', isDefault: false, tagSet: tagSet(vpc.tags) };
}

function subnetItem(subnet: SimSubnet): Record<string, unknown> {
  return {
    subnetId: subnet.id,
    vpcId: subnet.vpcId,
    ownerId: subnet.account,
    cidrBlock: subnet.cidrBlock,
    availabilityZone: subnet.availabilityZone,
    state: 'available',
    tagSet: tagSet(subnet.tags),
  };
}

function routeTableItem(table: SimRouteTable): Record<string, unknown> {
  return {
    routeTableId: table.id,
    vpcId: table.vpcId,
    ownerId: table.account,
    routeSet: {
      item: table.routes.map((r) => ({
        destinationCidrBlock: r.destinationCidrBlock,
        ...(r.gatewayId.startsWith('nat-') ? { natGatewayId: r.gatewayId } : { gatewayId: r.gatewayId }),
        state: 'active',
        origin: r.gatewayId === 'local' ? 'CreateRouteTable' : 'CreateRoute',
      })),
    },
    associationSet: {
      item: [
        ...(table.main ? [{ routeTableAssociationId: `rtbassoc-${table.id.slice(4)}`, routeTableId: table.id, main: true }] : []),
        ...[...table.associations].map(([id, subnetId]) => ({
          routeTableAssociationId: id,
          routeTableId: table.id,
          subnetId,
          main: false,
        })),
      ],
    },
    tagSet: tagSet(table.tags),
  };
}

function groupItem(group: SimSecurityGroup): Record<string, unknown> {
  const permissions = (rules: SecurityGroupRule[]) => ({
    item: rules.map((r) => ({
      ipProtocol: r.ipProtocol,
      fromPort: r.fromPort,
      toPort: r.toPort,
      ipRanges: { item: r.cidrIps.map((cidrIp) => ({ cidrIp })) },
      groups: { item: r.groupIds.map((groupId) => ({ groupId, userId: group.account })) },
    })),
  });
  return {
    groupId: group.id,
    groupName: group.groupName,
    groupDescription: group.description,
    vpcId: group.vpcId,
    ownerId: group.account,
    ipPermissions: permissions(group.ingress),
    ipPermissionsEgress: permissions(group.egress),
    tagSet: tagSet(group.tags),
  };
}
