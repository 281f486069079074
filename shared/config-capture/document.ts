/**
 * A capture of one source account's configuration in one region: what it takes to rebuild its
 * systems elsewhere (network, instances and their volumes, databases), never any data. Ids are the
 * source's; an export or a rebuild turns them into references. Versioned: a reader refuses a
 * schema it does not know rather than misread it.
 */
export interface ConfigDocument {
  schemaVersion: typeof CONFIG_SCHEMA_VERSION;
  account: string;
  region: string;
  /** ISO 8601, the vault's clock when the capture finished. */
  capturedAt: string;
  trigger: CaptureTrigger;
  vpcs: CapturedVpc[];
  subnets: CapturedSubnet[];
  routeTables: CapturedRouteTable[];
  securityGroups: CapturedSecurityGroup[];
  instances: CapturedInstance[];
  launchTemplates: CapturedLaunchTemplate[];
  volumes: CapturedVolume[];
  dbSubnetGroups: CapturedDbSubnetGroup[];
  dbInstances: CapturedDbInstance[];
  dbClusters: CapturedDbCluster[];
  /** The instance profiles the instances and launch templates use (the roles behind them are IAM's, global). */
  instanceProfiles: string[];
}

export const CONFIG_SCHEMA_VERSION = 1;

/** Why a capture ran: its account's schedule, or a new AMI or DB snapshot of the resource it names. */
export type CaptureTrigger = { kind: 'schedule' } | { kind: 'event'; resource: string };

export type Tags = Record<string, string>;

export interface CapturedVpc {
  id: string;
  cidrBlock: string;
  tags: Tags;
}

export interface CapturedSubnet {
  id: string;
  vpcId: string;
  cidrBlock: string;
  availabilityZone: string;
  tags: Tags;
}

export interface CapturedRouteTable {
  id: string;
  vpcId: string;
  main: boolean;
  /** Routes besides the VPC's `local` one. */
  routes: { destination: string; target: string }[];
  subnetIds: string[];
  tags: Tags;
}

export interface CapturedRule {
  protocol: string;
  fromPort?: number;
  toPort?: number;
  cidrs: string[];
  groupIds: string[];
}

export interface CapturedSecurityGroup {
  id: string;
  vpcId: string;
  name: string;
  description: string;
  ingress: CapturedRule[];
  egress: CapturedRule[];
  tags: Tags;
}

export interface CapturedInstance {
  id: string;
  instanceType: string;
  imageId: string;
  keyName?: string;
  subnetId?: string;
  availabilityZone: string;
  securityGroupIds: string[];
  instanceProfileArn?: string;
  /** Root first. */
  blockDevices: { deviceName: string; volumeId: string }[];
  launchTemplate?: { id: string; version: string };
  state: string;
  tags: Tags;
}

export interface CapturedLaunchTemplate {
  id: string;
  name: string;
  defaultVersion: number;
  imageId?: string;
  instanceType?: string;
  keyName?: string;
  securityGroupIds: string[];
  instanceProfileArn?: string;
}

export interface CapturedVolume {
  id: string;
  sizeGiB: number;
  volumeType: string;
  availabilityZone: string;
  encrypted: boolean;
  kmsKeyId?: string;
  snapshotId?: string;
  attachment?: { instanceId: string; device: string };
  tags: Tags;
}

export interface CapturedDbSubnetGroup {
  name: string;
  description: string;
  vpcId?: string;
  subnetIds: string[];
}

export interface CapturedDbInstance {
  id: string;
  instanceClass: string;
  engine: string;
  engineVersion: string;
  parameterGroup?: string;
  optionGroup?: string;
  subnetGroup?: string;
  securityGroupIds: string[];
  allocatedStorageGiB?: number;
  storageType?: string;
  multiAZ: boolean;
  backupWindow?: string;
  availabilityZone?: string;
  /** An Aurora cluster's member: rebuilt with its cluster. */
  clusterId?: string;
  encrypted: boolean;
  status: string;
  tags: Tags;
}

export interface CapturedDbCluster {
  id: string;
  engine: string;
  engineVersion: string;
  parameterGroup?: string;
  subnetGroup?: string;
  securityGroupIds: string[];
  multiAZ: boolean;
  backupWindow?: string;
  /** The writer first. */
  members: { id: string; writer: boolean }[];
  encrypted: boolean;
  status: string;
  tags: Tags;
}

/** The resource lists of a document, by name: what a diff compares and a count reports. */
export const RESOURCE_LISTS = [
  'vpcs',
  'subnets',
  'routeTables',
  'securityGroups',
  'launchTemplates',
  'instances',
  'volumes',
  'dbSubnetGroups',
  'dbClusters',
  'dbInstances',
] as const satisfies readonly (keyof ConfigDocument)[];

export type ResourceList = (typeof RESOURCE_LISTS)[number];

/** A resource's identity within its list: its id, or a DB subnet group's name. */
export const resourceKey = (resource: { id?: string; name?: string }): string => resource.id ?? resource.name ?? '';

/**
 * A stored capture, checked: the schema this release reads.
 * @throws Error naming what is wrong, for a document of another schema or no document at all
 */
export function parseConfigDocument(text: string, where: string): ConfigDocument {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`${where} is not a configuration capture (not JSON: ${(error as Error).message})`);
  }
  const version = (parsed as { schemaVersion?: unknown } | null)?.schemaVersion;
  if (version !== CONFIG_SCHEMA_VERSION)
    throw new Error(
      `${where} is a configuration capture of schema ${String(version)}; this release reads schema ${CONFIG_SCHEMA_VERSION}: use the release that wrote it`,
    );
  for (const list of RESOURCE_LISTS)
    if (!Array.isArray((parsed as Record<string, unknown>)[list]))
      throw new Error(`${where} has no ${list} list: it is not a complete capture`);
  return parsed as ConfigDocument;
}
