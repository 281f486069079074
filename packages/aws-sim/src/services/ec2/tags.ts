import { AwsError } from '../../core/errors.js';

/** EC2 allows 50 user tags per resource; keys up to 128 characters, values up to 256; `aws:` is reserved. */
const MAX_TAGS = 50;
const MAX_KEY = 128;
const MAX_VALUE = 256;

/** A tag as requested: DeleteTags may leave the value out. */
export interface TagInput {
  key: string;
  value?: string;
}

/** Tags given as a plain record (the control plane's), as tag inputs. */
export const tagInputs = (tags: Record<string, string> = {}): TagInput[] => Object.entries(tags).map(([key, value]) => ({ key, value }));

/**
 * Adds or overwrites tags, validated as CreateTags does.
 * @throws AwsError InvalidParameterValue, TagLimitExceeded
 */
export function addTags(tags: Map<string, string>, added: TagInput[]): void {
  for (const { key, value = '' } of added) {
    if (key.length === 0 || key.length > MAX_KEY || value.length > MAX_VALUE)
      throw new AwsError('InvalidParameterValue', `Tag ${key} is too long or empty.`);
    if (key.toLowerCase().startsWith('aws:'))
      throw new AwsError('InvalidParameterValue', "Tag keys starting with 'aws:' are reserved for internal use");
  }
  const keys = new Set([...tags.keys(), ...added.map((t) => t.key)]);
  if (keys.size > MAX_TAGS)
    throw new AwsError('TagLimitExceeded', `The maximum number of tags per resource (${MAX_TAGS}) has been exceeded.`);
  for (const { key, value = '' } of added) tags.set(key, value);
}

/** DeleteTags: a tag given with a value is removed only when the value matches; no tags removes all. */
export function deleteTags(tags: Map<string, string>, removed: TagInput[]): void {
  if (removed.length === 0) tags.clear();
  for (const { key, value } of removed) if (value === undefined || tags.get(key) === value) tags.delete(key);
}
