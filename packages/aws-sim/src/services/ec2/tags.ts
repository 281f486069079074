import { AwsError } from '../../core/errors.js';
import type { Ec2Input } from './api/input.js';

/** EC2 allows 50 user tags per resource; keys up to 128 characters, values up to 256; `aws:` is reserved. */
const MAX_TAGS = 50;
const MAX_KEY = 128;
const MAX_VALUE = 256;

/** A tag as requested: DeleteTags may leave the value out. */
export interface TagInput {
  key: string;
  value?: string;
}

interface WireTag {
  Key?: string;
  Value?: string;
}

/** `Tag.N.Key` / `Tag.N.Value` entries. */
export function readTags(input: Ec2Input, name = 'Tag'): TagInput[] {
  return input.list<WireTag>(name).map((tag) => {
    if (typeof tag?.Key !== 'string') throw new AwsError('InvalidParameterValue', `Tag key must be present in ${name}`);
    return { key: tag.Key, value: tag.Value };
  });
}

/**
 * The tags of `TagSpecification.N` for one resource type (CreateSnapshot, CopySnapshot, …).
 * @throws AwsError InvalidParameterValue for another resource type
 */
export function readTagSpecifications(input: Ec2Input, resourceType: string): TagInput[] {
  return readTagSpecificationsByType(input, [resourceType])[resourceType]!;
}

/**
 * The tags of `TagSpecification.N` per resource type, for calls that tag several (CopyImage tags
 * the `image` and its `snapshot`s).
 * @throws AwsError InvalidParameterValue for a type the call does not create
 */
export function readTagSpecificationsByType(input: Ec2Input, resourceTypes: string[]): Record<string, TagInput[]> {
  const byType: Record<string, TagInput[]> = Object.fromEntries(resourceTypes.map((type) => [type, []]));
  for (const spec of input.list<{ ResourceType?: string; Tag?: WireTag[] }>('TagSpecification')) {
    const tags = byType[spec.ResourceType ?? ''];
    if (!tags) throw new AwsError('InvalidParameterValue', `'${spec.ResourceType ?? ''}' is not a valid taggable resource type for this operation.`);
    tags.push(...(spec.Tag ?? []).map((tag) => ({ key: tag.Key ?? '', value: tag.Value })));
  }
  return byType;
}

/**
 * Adds or overwrites tags, validated as CreateTags does.
 * @throws AwsError InvalidParameterValue, TagLimitExceeded
 */
export function addTags(tags: Map<string, string>, added: TagInput[]): void {
  for (const { key, value = '' } of added) {
    if (key.length === 0 || key.length > MAX_KEY || value.length > MAX_VALUE) throw new AwsError('InvalidParameterValue', `Tag ${key} is too long or empty.`);
    if (key.toLowerCase().startsWith('aws:')) throw new AwsError('InvalidParameterValue', "Tag keys starting with 'aws:' are reserved for internal use");
  }
  const keys = new Set([...tags.keys(), ...added.map((t) => t.key)]);
  if (keys.size > MAX_TAGS) throw new AwsError('TagLimitExceeded', `The maximum number of tags per resource (${MAX_TAGS}) has been exceeded.`);
  for (const { key, value = '' } of added) tags.set(key, value);
}

/** DeleteTags: a tag given with a value is removed only when the value matches; no tags removes all. */
export function deleteTags(tags: Map<string, string>, removed: TagInput[]): void {
  if (removed.length === 0) return tags.clear();
  for (const { key, value } of removed) if (value === undefined || tags.get(key) === value) tags.delete(key);
}

/** The `tagSet` wire element, absent for an untagged resource. */
export function tagSet(tags: Map<string, string>): { item: { key: string; value: string }[] } | undefined {
  return tags.size === 0 ? undefined : { item: [...tags].map(([key, value]) => ({ key, value })) };
}
