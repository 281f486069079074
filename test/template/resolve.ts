import type { Json, Template } from './stack.js';

/**
 * A template's values as CloudFormation resolves them in an account and region: `Ref`,
 * `Fn::GetAtt … Arn`, `Fn::Sub` and `Fn::If` (the condition taken as true: the primary region) give
 * the names and ARNs the stack's resources get. A KMS key's id is as long as a real one, so that
 * policy sizes count what IAM counts.
 */
export function resolved(template: Template, where: { account: string; region: string }): (value: Json) => Json {
  const { account, region } = where;
  const props = (id: string) => (template.Resources[id]?.Properties ?? {}) as Record<string, string>;
  const arn = (id: string): string => {
    const resource = template.Resources[id];
    if (!resource) throw new Error(`the template has no ${id}`);
    const p = props(id);
    switch (resource.Type) {
      case 'AWS::KMS::Key':
        return keyArn(account, region, id);
      case 'AWS::DynamoDB::Table':
      case 'AWS::DynamoDB::GlobalTable':
        return `arn:aws:dynamodb:${region}:${account}:table/${p.TableName}`;
      case 'AWS::SQS::Queue':
        return `arn:aws:sqs:${region}:${account}:${p.QueueName}`;
      case 'AWS::Events::EventBus':
        return `arn:aws:events:${region}:${account}:event-bus/${p.Name}`;
      case 'AWS::Events::Rule':
        return `arn:aws:events:${region}:${account}:rule/${ref((p.EventBusName as unknown as { Ref: string }).Ref)}/${p.Name}`;
      case 'AWS::IAM::Role':
        return `arn:aws:iam::${account}:role/${p.RoleName}`;
      default:
        throw new Error(`no ARN known for ${id} (${resource.Type})`);
    }
  };
  const ref = (name: string): string =>
    name === 'AWS::AccountId' ? account : name === 'AWS::Region' ? region : (props(name).TableName ?? props(name).Name ?? name);
  const resolve = (value: Json): Json => {
    if (Array.isArray(value)) return value.map(resolve);
    if (value === null || typeof value !== 'object') return value;
    if ('Ref' in value) return ref(value.Ref as string);
    if ('Fn::GetAtt' in value) return arn((value['Fn::GetAtt'] as string[])[0]!);
    if ('Fn::Sub' in value)
      return (value['Fn::Sub'] as string).replace(/\$\{([^}]+)\}/g, (_, name: string) =>
        name.startsWith('!') ? `\${${name.slice(1)}}` : name.endsWith('.Arn') ? arn(name.slice(0, -'.Arn'.length)) : ref(name),
      );
    if ('Fn::If' in value) return resolve((value['Fn::If'] as Json[])[1]!);
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolve(v)]));
  };
  return resolve;
}

/** The ARN a key of the stack gets: its id as long as a real key id (a UUID). */
export const keyArn = (account: string, region: string, logicalId: string) =>
  `arn:aws:kms:${region}:${account}:key/${logicalId.toLowerCase().padEnd(36, '0').slice(0, 36)}`;
