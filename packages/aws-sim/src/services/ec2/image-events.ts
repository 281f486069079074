import { randomUUID } from 'node:crypto';
import type { ServiceEvent } from '../../core/cloud-core.js';
import type { ImageState, SimImage } from './image.js';

/** `arn:aws:ec2:<region>::image/<id>`: AMI ARNs carry the region and no account. */
export const imageArn = (region: string, id: string) => `arn:aws:ec2:${region}::image/${id}`;

/**
 * `EC2 AMI State Change` in the shape of AWS's documented samples (EC2 User Guide, "Monitor AMI
 * events using Amazon EventBridge"): `RequestId`, `ImageId`, `State` and `ErrorMessage`, empty
 * unless the AMI failed. Sent in the owner's account and region.
 */
export function amiStateChangeEvent(image: SimImage, state: Exclude<ImageState, 'pending'>): ServiceEvent {
  return {
    'detail-type': 'EC2 AMI State Change',
    source: 'aws.ec2',
    account: image.owner,
    region: image.region,
    resources: [imageArn(image.region, image.id)],
    detail: { RequestId: randomUUID(), ImageId: image.id, State: state, ErrorMessage: state === 'failed' ? (image.stateReason ?? '') : '' },
  };
}
