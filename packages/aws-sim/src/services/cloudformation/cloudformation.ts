import { randomUUID } from 'node:crypto';
import type { CloudCore } from '../../core/cloud-core.js';
import { constraintError } from '../../core/constraints.js';
import { AwsError } from '../../core/errors.js';
import { describeUse, type QuotaBook, QuotaExceededError, type QuotaName } from '../../core/quotas.js';
import { evaluateCondition, referencedResources, resolve, type Scope } from './intrinsics.js';
import { Properties } from './properties.js';
import { type LambdaCodeResolver, type Provisioned, RESOURCE_TYPES, type StackServices } from './resource-types.js';
import { RESOURCE_ATTRIBUTES, TEMPLATE_SECTIONS, type Template, TemplateError, type TemplateResource } from './template.js';

export interface DeployInput {
  account: string;
  region: string;
  stackName: string;
  /** The template, or its JSON text (`cloudformation-template-update-stack.json`). */
  template: Template | string;
  /** Values of the template's Parameters (their Default otherwise). */
  parameters?: Record<string, string>;
  /** Supplies each `AWS::Lambda::Function`'s code; required when the template has functions. */
  lambdaCode?: LambdaCodeResolver;
  /**
   * How the template reaches CloudFormation, which decides its size limit: from S3
   * (`TemplateURL`, what `serverless deploy` does; the default) or in the request (`TemplateBody`).
   * Its size is that of the text given, or of the object as serverless writes it (2-space JSON).
   */
  via?: 'TemplateURL' | 'TemplateBody';
}

/** A created resource: its physical id (what `Ref` returns) and the attributes `Fn::GetAtt` reads. */
export interface StackResource {
  type: string;
  physicalId: string;
  attributes: Record<string, string>;
}

export interface DeployedStack {
  name: string;
  account: string;
  region: string;
  stackId: string;
  /** The created resources by logical id (those a false condition left out are absent). */
  resources: Record<string, StackResource>;
  outputs: Record<string, string>;
}

/** "A stack name can contain only alphanumeric characters (case-sensitive) and hyphens. It must start with an alphabetic character and can't be longer than 128 characters" (CreateStack). */
const STACK_NAME = /^[A-Za-z][A-Za-z0-9-]{0,127}$/;
const PARAMETER_TYPES = new Set(['String', 'Number', 'CommaDelimitedList']);

/**
 * Simulated CloudFormation: deploys a template into one account and region, creating each
 * resource through the state the services' APIs use. Before creating anything it evaluates the
 * template's Rules and Conditions, checks every resource type, property and intrinsic function
 * against what the simulation supports, and orders the resources by their references (Ref,
 * Fn::GetAtt, Fn::Sub) and DependsOn; anything it cannot honour fails with an error naming the
 * logical id. Stacks are created, never updated or deleted, and a failure leaves what was created
 * before it (no rollback).
 */
export class CloudFormationSim {
  readonly #stacks = new Map<string, DeployedStack>();

  constructor(
    private readonly cloud: CloudCore,
    private readonly services: StackServices,
  ) {}

  /**
   * Deploys a template as a new stack.
   * @returns the stack: its resources' physical ids and attributes, and its outputs
   * @throws TemplateError naming the logical id (or section) the simulation cannot deploy, or the AWS error its creation met
   */
  async deploy(input: DeployInput): Promise<DeployedStack> {
    const { account, region, stackName } = input;
    const template = parseTemplate(input.template);
    const text = typeof input.template === 'string' ? input.template : JSON.stringify(input.template, null, 2);
    if (!this.cloud.account(account)) throw new TemplateError(`Account ${account} is closed or unknown`);
    if (!STACK_NAME.test(stackName))
      throw new TemplateError(`Stack name ${stackName} must start with a letter and hold only letters, digits and hyphens (128 at most)`);
    const key = `${account}|${region}|${stackName}`;
    if (this.#stacks.has(key))
      throw new TemplateError(
        `Stack ${stackName} already exists in ${account}/${region} (the simulation creates stacks; it does not update them)`,
      );

    checkTemplate(template, Buffer.byteLength(text), input.via ?? 'TemplateURL', (quota, value, refuse) =>
      templateQuota(this.cloud.quotas, { quota, account, region, subject: `stack ${stackName}`, value }, refuse),
    );

    const created = new Map<string, Provisioned>();
    const stackId = `arn:aws:cloudformation:${region}:${account}:stack/${stackName}/${randomUUID()}`;
    const scope = stackScope(
      template,
      { account, region, stackName, stackId, parameters: parameterValues(template, input.parameters ?? {}) },
      created,
    );
    checkRules(template, scope);
    const order = creationOrder(template, scope);

    const resources: Record<string, StackResource> = {};
    for (const logicalId of order) {
      const definition = template.Resources[logicalId]!;
      const where = `${logicalId} (${definition.Type})`;
      const type = RESOURCE_TYPES[definition.Type]!;
      const props = new Properties(
        where,
        resolve(definition.Properties ?? {}, scope, `${logicalId}.Properties`) as Record<string, unknown>,
        type.properties,
      );
      let provisioned: Provisioned;
      try {
        provisioned = await type.create(props, {
          services: this.services,
          account,
          region,
          stackName,
          logicalId,
          lambdaCode: input.lambdaCode,
        });
      } catch (error) {
        if (error instanceof TemplateError) throw error;
        const code = error instanceof AwsError ? error.code : undefined;
        const quota = error instanceof QuotaExceededError ? error.use : undefined;
        throw new TemplateError(
          `${where}: ${code ? `${code}: ` : ''}${(error as Error).message}${quota ? ` (${describeUse(quota)})` : ''}`,
          { cause: error, code, quota },
        );
      }
      created.set(logicalId, provisioned);
      resources[logicalId] = { type: definition.Type, physicalId: provisioned.ref, attributes: provisioned.attributes ?? {} };
    }

    const outputs = Object.fromEntries(
      Object.entries(template.Outputs ?? {})
        .filter(([, output]) => output.Condition === undefined || scope.condition(output.Condition))
        .map(([name, output]) => [name, String(resolve(output.Value, scope, `Outputs.${name}`))]),
    );
    const stack: DeployedStack = { name: stackName, account, region, stackId, resources, outputs };
    this.#stacks.set(key, stack);
    return stack;
  }

  /** A deployed stack, if there is one by that name in the account and region. */
  stack(account: string, region: string, name: string): DeployedStack | undefined {
    return this.#stacks.get(`${account}|${region}|${name}`);
  }

  stacks(): DeployedStack[] {
    return [...this.#stacks.values()];
  }
}

/** CloudFormation's template format rules: logical ids are alphanumeric, at most 255 characters. */
const LOGICAL_ID = /^[A-Za-z0-9]{1,255}$/;
const MAX_DESCRIPTION_BYTES = 1024;

type QuotaCheck = (quota: QuotaName, value: number, refuse: (limit: number) => AwsError) => void;

/**
 * What CloudFormation checks of a template before it creates anything: its size (in the request,
 * or in S3), the number of resources, outputs and parameters, the logical ids, the description.
 * @throws TemplateError with AWS's ValidationError text
 */
function checkTemplate(template: Template, bytes: number, via: 'TemplateURL' | 'TemplateBody', quota: QuotaCheck): void {
  if (via === 'TemplateBody')
    quota('cloudformation.templateBodySize', bytes, (limit) =>
      constraintError('ValidationError', 'templateBody', '…', `have length less than or equal to ${limit}`),
    );
  else quota('cloudformation.templateS3Size', bytes, (limit) => formatError(`Template may not exceed ${limit} bytes in size.`));
  const sections = [
    ['Resources', 'Resource', template.Resources],
    ['Outputs', 'Output', template.Outputs ?? {}],
    ['Parameters', 'Parameter', template.Parameters ?? {}],
  ] as const;
  for (const [section, kind, entries] of sections) {
    const bad = Object.keys(entries).find((id) => !LOGICAL_ID.test(id));
    if (bad !== undefined)
      throw new TemplateError(
        `ValidationError: Template format error: ${kind} name ${bad} is ${bad.length > 255 ? 'longer than 255 characters' : 'non alphanumeric.'} (${section})`,
        { code: 'ValidationError' },
      );
  }
  const counted = Object.keys(template.Resources).length;
  quota('cloudformation.resources', counted, (limit) =>
    formatError(`Template format error: Number of resources, ${counted}, is greater than maximum allowed, ${limit}`),
  );
  const outputs = Object.keys(template.Outputs ?? {}).length;
  quota('cloudformation.outputs', outputs, (limit) =>
    formatError(`Template format error: Outputs count ${outputs} is greater than max allowed ${limit}`),
  );
  const parameters = Object.keys(template.Parameters ?? {}).length;
  quota('cloudformation.parameters', parameters, (limit) =>
    formatError(`Template format error: Parameter count ${parameters} is greater than max allowed ${limit}`),
  );
  if (Buffer.byteLength(template.Description ?? '') > MAX_DESCRIPTION_BYTES)
    throw new TemplateError(`ValidationError: Template format error: 'Description' length is greater than ${MAX_DESCRIPTION_BYTES}`, {
      code: 'ValidationError',
    });
}

const formatError = (message: string) => new AwsError('ValidationError', message);

/** A template-stage quota: CloudFormation refuses the request itself, so nothing is created. */
function templateQuota(quotas: QuotaBook, use: Parameters<QuotaBook['check']>[0], refuse: (limit: number) => AwsError): void {
  try {
    quotas.check(use, refuse);
  } catch (error) {
    if (!(error instanceof QuotaExceededError)) throw error;
    throw new TemplateError(`${error.code}: ${error.message} (${describeUse(error.use)})`, { code: error.code, quota: error.use });
  }
}

/**
 * A template from its JSON text or object, with only the sections the deployer reads.
 * @throws TemplateError
 */
function parseTemplate(source: Template | string): Template {
  let template: unknown = source;
  if (typeof source === 'string') {
    try {
      template = JSON.parse(source);
    } catch (error) {
      throw new TemplateError(`The template is not valid JSON: ${(error as Error).message}`);
    }
  }
  if (typeof template !== 'object' || template === null) throw new TemplateError('The template is not an object');
  const unsupported = Object.keys(template).filter((section) => !TEMPLATE_SECTIONS.has(section));
  if (unsupported.length > 0)
    throw new TemplateError(`Template section ${unsupported.join(', ')} is not supported by the simulated CloudFormation`);
  const { Resources } = template as Template;
  if (typeof Resources !== 'object' || Resources === null || Object.keys(Resources).length === 0)
    throw new TemplateError('The template has no Resources');
  return template as Template;
}

/**
 * Parameter values: given, or their Default; each checked against its type and AllowedValues.
 * @throws TemplateError
 */
function parameterValues(template: Template, given: Record<string, string>): Record<string, string | string[]> {
  const declared = template.Parameters ?? {};
  const undeclared = Object.keys(given).filter((name) => !(name in declared));
  if (undeclared.length > 0) throw new TemplateError(`Parameters: ${undeclared.join(', ')} not declared by the template`);
  return Object.fromEntries(
    Object.entries(declared).map(([name, parameter]) => {
      const where = `Parameters.${name}`;
      if (!PARAMETER_TYPES.has(parameter.Type))
        throw new TemplateError(`${where}: type ${parameter.Type} is not supported by the simulated CloudFormation`);
      const value = given[name] ?? (parameter.Default === undefined ? undefined : String(parameter.Default));
      if (value === undefined) throw new TemplateError(`${where}: no value given and no Default`);
      if (parameter.AllowedValues && !parameter.AllowedValues.map(String).includes(value))
        throw new TemplateError(`${where}: ${value} is not one of its AllowedValues`);
      if (parameter.Type === 'Number' && !Number.isFinite(Number(value))) throw new TemplateError(`${where}: ${value} is not a number`);
      return [name, parameter.Type === 'CommaDelimitedList' ? value.split(',').map((item) => item.trim()) : value];
    }),
  );
}

/** The scope intrinsic functions resolve in: conditions are evaluated once, on first use; resources answer once created. */
function stackScope(
  template: Template,
  base: Pick<Scope, 'account' | 'region' | 'stackName' | 'stackId' | 'parameters'>,
  created: Map<string, Provisioned>,
): Scope {
  const conditions = new Map<string, boolean>();
  const evaluating = new Set<string>();
  const scope: Scope = {
    ...base,
    condition(name) {
      const known = conditions.get(name);
      if (known !== undefined) return known;
      const expression = template.Conditions?.[name];
      if (expression === undefined) throw new TemplateError(`Condition ${name} is not declared in Conditions`);
      if (evaluating.has(name))
        throw new TemplateError(`Conditions: ${[...evaluating, name].join(' -> ')} refer to one another in a circle`);
      evaluating.add(name);
      const value = evaluateCondition(expression, scope, `Conditions.${name}`);
      evaluating.delete(name);
      conditions.set(name, value);
      return value;
    },
    ref(logicalId) {
      return createdResource(template, created, logicalId).ref;
    },
    getAtt(logicalId, attribute) {
      const value = createdResource(template, created, logicalId).attributes?.[attribute];
      if (value === undefined)
        throw new TemplateError(
          `${logicalId}: Fn::GetAtt ${attribute} is not an attribute the simulated ${template.Resources[logicalId]!.Type} has`,
        );
      return value;
    },
  };
  return scope;
}

function createdResource(template: Template, created: Map<string, Provisioned>, logicalId: string): Provisioned {
  const resource = created.get(logicalId);
  if (resource) return resource;
  if (!(logicalId in template.Resources))
    throw new TemplateError(`Unresolved reference ${logicalId}: no parameter, pseudo-parameter or resource has that name`);
  throw new TemplateError(`${logicalId} is referred to before it is created`);
}

/**
 * Evaluates the template's Rules as CloudFormation does before creating anything: each rule whose
 * RuleCondition holds (or that has none) needs every Assert to hold.
 * @throws TemplateError with the failed assertion's AssertDescription
 */
function checkRules(template: Template, scope: Scope): void {
  for (const [name, rule] of Object.entries(template.Rules ?? {})) {
    const where = `Rules.${name}`;
    if (rule.RuleCondition !== undefined && !evaluateCondition(rule.RuleCondition, scope, `${where}.RuleCondition`, true)) continue;
    for (const [i, assertion] of (rule.Assertions ?? []).entries()) {
      if (!evaluateCondition(assertion.Assert, scope, `${where}.Assertions[${i}]`, true)) {
        throw new TemplateError(`Template rule ${name} failed: ${assertion.AssertDescription ?? `assertion ${i} does not hold`}`, {
          code: 'ValidationError',
        });
      }
    }
  }
}

/**
 * The resources to create, in an order that creates each after everything it refers to or
 * DependsOn. Every resource's type, properties and functions are checked first, so that nothing
 * is created from a template the simulation cannot honour.
 * @throws TemplateError for an unsupported type, property or function, an unresolvable or left-out dependency, or a circle
 */
function creationOrder(template: Template, scope: Scope): string[] {
  const resources = Object.entries(template.Resources);
  const dependencies = new Map<string, Set<string>>();
  for (const [logicalId, resource] of resources) {
    checkResource(logicalId, resource);
    const references = referencedResources(resource.Properties ?? {}, scope, `${logicalId}.Properties`);
    if (resource.Condition !== undefined && !scope.condition(resource.Condition)) continue;
    const dependsOn = ([] as string[]).concat(resource.DependsOn ?? []);
    for (const dependency of [...references, ...dependsOn]) checkDependency(template, scope, logicalId, dependency);
    dependencies.set(logicalId, new Set([...references, ...dependsOn]));
  }
  for (const [name, output] of Object.entries(template.Outputs ?? {})) {
    if (output.Condition !== undefined && !scope.condition(output.Condition)) continue;
    for (const dependency of referencedResources(output.Value, scope, `Outputs.${name}`))
      checkDependency(template, scope, `Outputs.${name}`, dependency);
  }

  const order: string[] = [];
  const pending = new Map(dependencies);
  while (pending.size > 0) {
    const ready = [...pending].filter(([, needs]) => [...needs].every((id) => !pending.has(id))).map(([id]) => id);
    if (ready.length === 0) throw new TemplateError(`Circular dependency between resources: [${cycleOf(pending).join(', ')}]`);
    for (const id of ready) {
      order.push(id);
      pending.delete(id);
    }
  }
  return order;
}

function checkResource(logicalId: string, resource: TemplateResource): void {
  if (typeof resource !== 'object' || resource === null || typeof resource.Type !== 'string')
    throw new TemplateError(`${logicalId}: a resource needs a Type`);
  const where = `${logicalId} (${resource.Type})`;
  const attributes = Object.keys(resource).filter((key) => !RESOURCE_ATTRIBUTES.has(key));
  if (attributes.length > 0)
    throw new TemplateError(`${where}: resource attribute ${attributes.join(', ')} is not supported by the simulated CloudFormation`);
  const type = RESOURCE_TYPES[resource.Type];
  if (!type) throw new TemplateError(`${where}: the resource type ${resource.Type} is not supported by the simulated CloudFormation`);
  new Properties(where, resource.Properties ?? {}, type.properties);
}

/** A dependency must be declared, and created: CloudFormation refuses one that a false condition leaves out ("Unresolved resource dependencies"). */
function checkDependency(template: Template, scope: Scope, from: string, dependency: string): void {
  const target = template.Resources[dependency];
  if (!target)
    throw new TemplateError(`${from}: refers to ${dependency}, which is no parameter, pseudo-parameter or resource of the template`);
  if (target.Condition !== undefined && !scope.condition(target.Condition)) {
    throw new TemplateError(
      `Unresolved resource dependencies [${dependency}] in the Resources block of the template: ${from} depends on it, but its condition ${target.Condition} leaves it out`,
    );
  }
}

/** The resources on a circle among those that could not be ordered (the rest only wait for them). */
function cycleOf(pending: Map<string, Set<string>>): string[] {
  const onCircle = (start: string): boolean => {
    const seen = new Set<string>();
    const stack = [...(pending.get(start) ?? [])];
    while (stack.length > 0) {
      const id = stack.pop()!;
      if (id === start) return true;
      if (seen.has(id) || !pending.has(id)) continue;
      seen.add(id);
      stack.push(...pending.get(id)!);
    }
    return false;
  };
  return [...pending.keys()].filter(onCircle);
}
