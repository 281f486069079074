import type { PolicyDocument, PolicyStatement } from '../src/index.js';

/** Inline policies allowing these actions on every resource (what a test role may call). */
export const allowing = (...actions: string[]): Record<string, PolicyDocument> => ({
  'test-permissions': { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: actions, Resource: '*' }] },
});

/** A trust policy letting `principal` assume the role, on `condition`. */
export const trustedBy = (principal: PolicyStatement['Principal'], condition?: PolicyStatement['Condition']): PolicyDocument => ({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: principal, Action: 'sts:AssumeRole', ...(condition ? { Condition: condition } : {}) }],
});

/** A trust policy no one satisfies. */
export const trustedByNobody: PolicyDocument = { Version: '2012-10-17', Statement: [] };
