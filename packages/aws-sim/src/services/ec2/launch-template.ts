import { AwsError } from '../../core/errors.js';
import { ec2Id } from './ids.js';

/** What a launch template version holds (the part the simulation models). */
export interface LaunchTemplateData {
  imageId?: string;
  instanceType?: string;
  keyName?: string;
  securityGroupIds?: string[];
  iamInstanceProfileArn?: string;
}

export interface SimLaunchTemplate {
  readonly id: string;
  readonly account: string;
  readonly region: string;
  readonly name: string;
  readonly createTime: Date;
  /** Version N is at index N - 1. */
  readonly versions: LaunchTemplateData[];
  readonly defaultVersion: number;
  readonly tags: Map<string, string>;
}

/** "Launch template name: 3 to 128 alphanumeric characters and ( ) . / - _" (CreateLaunchTemplate). */
const NAME = /^[a-zA-Z0-9().\-/_]{3,128}$/;

/** The launch templates of every account; a name is unique per account and Region. */
export class LaunchTemplateStore {
  readonly #templates = new Map<string, SimLaunchTemplate>();

  /** @throws AwsError InvalidLaunchTemplateName.MalformedException, InvalidLaunchTemplateName.AlreadyExistsException */
  create(account: string, region: string, name: string, data: LaunchTemplateData, createTime: Date): SimLaunchTemplate {
    if (!NAME.test(name))
      throw new AwsError('InvalidLaunchTemplateName.MalformedException', `The launch template name '${name}' is malformed.`);
    if (this.list(account, region).some((t) => t.name === name))
      throw new AwsError(
        'InvalidLaunchTemplateName.AlreadyExistsException',
        `Launch template name already in use: a launch template named ${name} exists.`,
      );
    const template: SimLaunchTemplate = {
      id: ec2Id('lt'),
      account,
      region,
      name,
      createTime,
      versions: [data],
      defaultVersion: 1,
      tags: new Map(),
    };
    this.#templates.set(template.id, template);
    return template;
  }

  /** A template by id or by name. @throws AwsError InvalidLaunchTemplateId.NotFound, InvalidLaunchTemplateName.NotFoundException */
  find(account: string, region: string, by: { id?: string; name?: string }): SimLaunchTemplate {
    const found = this.list(account, region).find((t) => t.id === by.id || t.name === by.name);
    if (found) return found;
    if (by.id !== undefined)
      throw new AwsError('InvalidLaunchTemplateId.NotFound', `The specified launch template, with template ID ${by.id}, does not exist.`);
    throw new AwsError(
      'InvalidLaunchTemplateName.NotFoundException',
      `The specified launch template, with template name ${by.name ?? ''}, does not exist.`,
    );
  }

  list(account: string, region: string): SimLaunchTemplate[] {
    return [...this.#templates.values()].filter((t) => t.account === account && t.region === region);
  }

  removeAccount(account: string): void {
    for (const [id, template] of this.#templates) if (template.account === account) this.#templates.delete(id);
  }
}
