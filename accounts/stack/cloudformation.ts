/**
 * CloudFormation as the stack model writes it: plain JSON with intrinsic functions, typed just
 * enough for tsc to catch a misplaced property. The intrinsics are the ones the hub's stacks use.
 */

export type Ref = { Ref: string };
export type GetAtt = { 'Fn::GetAtt': [string, string] };
export type Sub = { 'Fn::Sub': string };
export type Join = { 'Fn::Join': [string, Value[]] };
export type If = { 'Fn::If': [string, Value, Value] };
export type Equals = { 'Fn::Equals': [Value, Value] };
export type Intrinsic = Ref | GetAtt | Sub | Join | If | Equals;

/** Any value in a template: JSON, where an intrinsic function may stand for a string. */
export type Value = string | number | boolean | Intrinsic | readonly Value[] | { readonly [key: string]: Value };

export interface Resource {
  Type: string;
  Properties?: Record<string, Value>;
  Condition?: string;
  DependsOn?: string | string[];
  DeletionPolicy?: 'Retain' | 'Delete';
  UpdateReplacePolicy?: 'Retain' | 'Delete';
}

export interface Output {
  Description?: string;
  Value: Value;
  Export?: { Name: string };
}

/** A template rule: CloudFormation refuses the stack before creating anything unless every assertion holds. */
export interface Rule {
  Assertions: { Assert: Value; AssertDescription: string }[];
}

export interface Template {
  AWSTemplateFormatVersion?: '2010-09-09';
  Description?: string;
  Rules?: Record<string, Rule>;
  Conditions?: Record<string, Value>;
  Resources: Record<string, Resource>;
  Outputs?: Record<string, Output>;
}

// Types, not interfaces, for the JSON values: they then fit where any Value goes.

/** An IAM policy statement (identity, trust, key, queue or bus policy). */
export type Statement = {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal?: Value;
  Action: string | readonly string[];
  Resource?: Value;
  Condition?: Record<string, Record<string, Value>>;
  /**
   * Why the statement is kept although no drill needs it: the real-AWS path that needs it which the
   * simulated cloud cannot exercise. Read by `npm run check:iam`; buildService takes it out of the
   * template.
   */
  Reason?: string;
};

export type PolicyDocument = {
  Version: '2012-10-17';
  Statement: Statement[];
};

/** An EventBridge event pattern, as a rule carries it. */
export type EventPattern = {
  source: readonly string[];
  'detail-type': readonly string[];
  detail?: Record<string, readonly string[]>;
};

export const ref = (logicalId: string): Ref => ({ Ref: logicalId });
export const getAtt = (logicalId: string, attribute = 'Arn'): GetAtt => ({ 'Fn::GetAtt': [logicalId, attribute] });
export const sub = (text: string): Sub => ({ 'Fn::Sub': text });

/** The account running the stack, as a principal: `arn:aws:iam::${AWS::AccountId}:root`. */
export const THIS_ACCOUNT_ROOT = sub('arn:aws:iam::${AWS::AccountId}:root');

export const policy = (statements: Statement[]): PolicyDocument => ({ Version: '2012-10-17', Statement: statements });
