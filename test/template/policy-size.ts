import { resolved } from './resolve.js';
import type { Json, Template } from './stack.js';

/** IAM's quotas (IAM and STS quotas): a role's inline policies together, its trust policy (the default), one managed policy. */
export const IAM_QUOTA = { inlinePolicies: 10_240, trustPolicy: 2_048, managedPolicy: 6_144 } as const;

/** The characters IAM counts in a policy: without whitespace, once CloudFormation resolved it. */
export const policyChars = (document: Json): number => JSON.stringify(document).replace(/\s/g, '').length;

export interface RoleSize {
  logicalId: string;
  /** Every inline policy of the role together (IAM's quota is on their sum). */
  inline: number;
  trust: number;
}

/** The size of every IAM role of a template as IAM counts it, deployed in that account and region. */
export function roleSizes(template: Template, where: { account: string; region: string }): RoleSize[] {
  const resolve = resolved(template, where);
  return Object.entries(template.Resources)
    .filter(([, r]) => r.Type === 'AWS::IAM::Role')
    .map(([logicalId, r]) => {
      const policies = (r.Properties?.Policies ?? []) as { PolicyDocument: Json }[];
      return {
        logicalId,
        inline: policies.reduce((sum, p) => sum + policyChars(resolve(p.PolicyDocument)), 0),
        trust: policyChars(resolve(r.Properties!.AssumeRolePolicyDocument!)),
      };
    });
}

/** The size of every customer managed policy of a template as IAM counts it, deployed in that account and region. */
export function managedPolicySizes(template: Template, where: { account: string; region: string }): { logicalId: string; size: number }[] {
  const resolve = resolved(template, where);
  return Object.entries(template.Resources)
    .filter(([, r]) => r.Type === 'AWS::IAM::ManagedPolicy')
    .map(([logicalId, r]) => ({ logicalId, size: policyChars(resolve(r.Properties!.PolicyDocument as Json)) }));
}
