import { AwsError } from '../../../core/errors.js';
import type { SimService } from '../../../core/service.js';
import type { Ec2Sim } from '../ec2.js';
import { ec2Authorization } from './authorization.js';
import { imageActions } from './image-api.js';
import { Ec2Input } from './input.js';
import { instanceActions } from './instance-api.js';
import { networkActions } from './network-api.js';
import { snapshotActions } from './snapshot-api.js';

/**
 * "Non-mutating actions: bucket maximum capacity 100, bucket refill rate 20" per API, failing with
 * RequestLimitExceeded (Amazon EC2 Developer Guide, "Request throttling for the Amazon EC2 API").
 * Mutating and resource-intensive actions have their own buckets, not simulated.
 */
const NON_MUTATING = {
  capacity: 100,
  refillPerSecond: 20,
  error: { code: 'RequestLimitExceeded', status: 503, message: 'Request limit exceeded.' },
} as const;

/** The EC2 API (EC2 query protocol) over the simulated EC2's snapshots, AMIs, volumes and instances. */
export function ec2Api(ec2: Ec2Sim): SimService {
  return {
    name: 'ec2',
    protocol: 'ec2',
    xmlns: 'http://ec2.amazonaws.com/doc/2016-11-15/',
    call(action, input, ctx) {
      const run = snapshotActions[action] ?? imageActions[action] ?? instanceActions[action] ?? networkActions[action];
      if (!run) throw new AwsError('InvalidAction', `The action ${action} is not valid for this web service.`);
      const params = new Ec2Input(input);
      if (params.flag('DryRun')) throw new AwsError('DryRunOperation', 'Request would have succeeded, but DryRun flag is set.', 412);
      return run(ec2, params, ctx);
    },
    authorization: (action, input, ctx) => ec2Authorization(ec2, action, new Ec2Input(input), ctx),
    throttle: (action) => (action.startsWith('Describe') ? { ...NON_MUTATING, name: action } : undefined),
  };
}
