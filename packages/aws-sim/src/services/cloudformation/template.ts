import type { QuotaUse } from '../../core/quotas.js';

/** A CloudFormation template, as `serverless package` writes it (JSON). */
export interface Template {
  AWSTemplateFormatVersion?: string;
  Description?: string;
  Metadata?: unknown;
  Parameters?: Record<string, TemplateParameter>;
  Rules?: Record<string, TemplateRule>;
  Conditions?: Record<string, unknown>;
  Resources: Record<string, TemplateResource>;
  Outputs?: Record<string, TemplateOutput>;
}

export interface TemplateParameter {
  Type: string;
  Default?: string | number;
  AllowedValues?: (string | number)[];
  Description?: string;
  NoEcho?: boolean | string;
}

export interface TemplateRule {
  RuleCondition?: unknown;
  Assertions: { Assert: unknown; AssertDescription?: string }[];
}

export interface TemplateResource {
  Type: string;
  Properties?: Record<string, unknown>;
  DependsOn?: string | string[];
  Condition?: string;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
  Metadata?: unknown;
}

export interface TemplateOutput {
  Value: unknown;
  Description?: string;
  Condition?: string;
  Export?: { Name: unknown };
}

/**
 * A template the simulated CloudFormation cannot or will not deploy; the message names the logical
 * id (or section) at fault. Where AWS would refuse it too, `code` is AWS's error code (its message
 * is in the text) and `quota` the quota exceeded, if that is why.
 */
export class TemplateError extends Error {
  override readonly name = 'TemplateError';
  readonly code?: string;
  readonly quota?: QuotaUse;

  constructor(message: string, options: ErrorOptions & { code?: string; quota?: QuotaUse } = {}) {
    super(message, options);
    if (options.code !== undefined) this.code = options.code;
    if (options.quota !== undefined) this.quota = options.quota;
  }
}

/** The sections the deployer reads; any other makes the template unsupported (Mappings, Transform). */
export const TEMPLATE_SECTIONS = new Set([
  'AWSTemplateFormatVersion',
  'Description',
  'Metadata',
  'Parameters',
  'Rules',
  'Conditions',
  'Resources',
  'Outputs',
]);
/** The resource attributes the deployer honours (DeletionPolicy and UpdateReplacePolicy only matter when a stack is deleted or updated, which it never is). */
export const RESOURCE_ATTRIBUTES = new Set([
  'Type',
  'Properties',
  'DependsOn',
  'Condition',
  'DeletionPolicy',
  'UpdateReplacePolicy',
  'Metadata',
]);
