import { AwsError } from '../../../core/errors.js';
import type { TagInput } from '../tags.js';
import type { Ec2Input } from './input.js';

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
    if (!tags)
      throw new AwsError('InvalidParameterValue', `'${spec.ResourceType ?? ''}' is not a valid taggable resource type for this operation.`);
    tags.push(...(spec.Tag ?? []).map((tag) => ({ key: tag.Key ?? '', value: tag.Value })));
  }
  return byType;
}

/** The `tagSet` wire element, absent for an untagged resource. */
export function tagSet(tags: Map<string, string>): { item: { key: string; value: string }[] } | undefined {
  return tags.size === 0 ? undefined : { item: [...tags].map(([key, value]) => ({ key, value })) };
}
