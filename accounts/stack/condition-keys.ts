import { unsupportedConditionKeys } from '@backup-hub/aws-sim';
import type { Resource, Statement } from './cloudformation.js';

/** A policy statement conditioned on a key that none of its actions support: on AWS it would never apply. */
export class UnsupportedConditionKeyError extends Error {
  override name = 'UnsupportedConditionKeyError';
}

/** Where a resource keeps its policy documents, by type: the document's name in the resource, and the document. */
export const POLICIES: Record<string, (properties: Record<string, unknown>) => [string, { Statement: Statement | Statement[] }][]> = {
  'AWS::IAM::Role': (p) => [
    ['trust policy', p.AssumeRolePolicyDocument as { Statement: Statement[] }],
    ...((p.Policies ?? []) as { PolicyName: string; PolicyDocument: { Statement: Statement[] } }[]).map(
      (policy) => [`policy ${policy.PolicyName}`, policy.PolicyDocument] as [string, { Statement: Statement[] }],
    ),
  ],
  'AWS::KMS::Key': (p) => [['key policy', p.KeyPolicy as { Statement: Statement[] }]],
  'AWS::Events::EventBusPolicy': (p) => [['bus policy', { Statement: p.Statement as Statement }]],
  'AWS::SQS::QueuePolicy': (p) => [['queue policy', p.PolicyDocument as { Statement: Statement[] }]],
};

/**
 * Refuses a stack whose policies condition a statement on a key that none of its actions or their
 * resource types support (Service Authorization Reference): IAM accepts such a statement, and it
 * never applies, so an Allow silently allows nothing (ec2:Add/userId on ModifyImageAttribute, say).
 * @throws UnsupportedConditionKeyError naming every such statement
 */
export function checkConditionKeys(resources: Record<string, Resource>): void {
  const problems = Object.entries(resources).flatMap(([logicalId, resource]) =>
    (POLICIES[resource.Type]?.(resource.Properties ?? {}) ?? []).flatMap(([where, document]) =>
      unsupportedConditionKeys(document).map(
        (p) => `${logicalId} ${where}, statement ${p.statement}: ${p.key} is supported by none of ${p.actions.join(', ')}`,
      ),
    ),
  );
  if (problems.length > 0)
    throw new UnsupportedConditionKeyError(
      `condition keys that AWS never sets for the statement's actions (the statement would never apply):\n  ${problems.join('\n  ')}`,
    );
}
