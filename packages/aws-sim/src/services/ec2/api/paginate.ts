import { AwsError } from '../../../core/errors.js';
import type { Ec2Input } from './input.js';

/** EC2's paginated Describe calls return at most 1,000 items a page; MaxResults is 5 to 1,000 (EC2 API Reference, Pagination). */
const PAGE_MAX = 1000;
const PAGE_MIN = 5;

/** The MaxResults asked for, if any. */
export const pageSize = (input: Ec2Input) => input.integer('MaxResults', PAGE_MIN, PAGE_MAX);

/**
 * One page of `items` as `MaxResults` and `NextToken` ask (a full page of 1,000 without MaxResults).
 * @throws AwsError InvalidNextToken for a token this listing did not hand out
 */
export function paginate<T>(items: T[], input: Ec2Input): { page: T[]; nextToken?: string } {
  const token = input.optionalString('NextToken');
  const size = pageSize(input) ?? PAGE_MAX;
  const start = token === undefined ? 0 : Number(Buffer.from(token, 'base64url').toString('utf8'));
  if (!Number.isInteger(start) || start < 0 || start > items.length)
    throw new AwsError('InvalidNextToken', 'The specified NextToken is not valid.');
  const end = start + size;
  return { page: items.slice(start, end), nextToken: end < items.length ? Buffer.from(String(end)).toString('base64url') : undefined };
}
