import type { ServiceEvent } from '../../core/cloud-core.js';
import type { ParameterVersion, SimParameter } from './parameter.js';

export type ParameterOperation = 'Create' | 'Update' | 'Delete' | 'LabelParameterVersion';

/** `Parameter Store Change` as documented (Systems Manager user guide, EventBridge event examples): never the value. */
export function parameterChangeEvent(parameter: SimParameter, operation: ParameterOperation, version: ParameterVersion): ServiceEvent {
  return {
    'detail-type': 'Parameter Store Change',
    source: 'aws.ssm',
    account: parameter.account,
    region: parameter.region,
    resources: [parameter.arn],
    detail: { operation, name: parameter.name, type: version.type, ...(version.description ? { description: version.description } : {}) },
  };
}
