import { GetQueueAttributesCommand, GetQueueUrlCommand } from '@aws-sdk/client-sqs';
import type { Value } from '../../../accounts/stack/cloudformation.js';
import { describeError, isAwsError } from '../../aws/aws-errors.js';
import { sqsClient } from '../../aws/clients.js';
import { type Finding, fail, pass } from '../finding.js';
import { arnOf, type Check, deployCommand, nameOf, resourcesOf, type StackTarget } from '../scope.js';

/** Every queue of the stack exists; the dead-letter queues are empty (or how many messages wait). */
export const queues: Check = async (scope, target) => {
  const sqs = sqsClient(target.access.aws, target.region, target.access.credentials);
  const deadLetter = deadLetterArns(target);
  const findings: Finding[] = [];
  for (const [, properties] of resourcesOf(target, 'AWS::SQS::Queue')) {
    const name = nameOf(properties, 'QueueName');
    if (name === undefined) continue;
    const isDlq = deadLetter.has(`arn:aws:sqs:${target.region}:${target.account.id}:${name}`);
    const check = `${isDlq ? 'dead-letter queue' : 'queue'} ${name}`;
    try {
      const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
      if (!isDlq) {
        findings.push(pass(target.at, `${check}: exists`));
        continue;
      }
      const { Attributes = {} } = await sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      );
      const waiting = Number(Attributes.ApproximateNumberOfMessages ?? 0) + Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0);
      findings.push(
        waiting === 0
          ? pass(target.at, `${check}: empty`)
          : fail(
              target.at,
              `${check}: ${waiting} message${waiting === 1 ? '' : 's'} waiting`,
              `each is an event the hub gave up on: read them in the SQS console (or the vault's audit log), fix the cause, then move them back with aws sqs start-message-move-task --source-arn arn:aws:sqs:${target.region}:${target.account.id}:${name} --region ${target.region}`,
            ),
      );
    } catch (error) {
      findings.push(
        isAwsError(error, 'AWS.SimpleQueueService.NonExistentQueue', 'QueueDoesNotExist')
          ? fail(target.at, `${check}: missing`, `redeploy the stack: ${deployCommand(scope, target)}`)
          : fail(
              target.at,
              `${check}: cannot be read (${describeError(error)})`,
              'run with credentials that may sqs:GetQueueUrl and sqs:GetQueueAttributes',
            ),
      );
    }
  }
  return findings;
};

/** The queues the model makes dead-letter queues: a queue's redrive target, a rule target's DeadLetterConfig. */
function deadLetterArns(target: StackTarget): Set<string> {
  const arns = new Set<string>();
  for (const [, properties] of resourcesOf(target, 'AWS::SQS::Queue')) {
    const redrive = properties.RedrivePolicy as Record<string, Value> | undefined;
    const arn = arnOf(target, redrive?.deadLetterTargetArn);
    if (arn) arns.add(arn);
  }
  for (const [, properties] of resourcesOf(target, 'AWS::Events::Rule')) {
    for (const t of (properties.Targets ?? []) as Record<string, Value>[]) {
      const arn = arnOf(target, (t.DeadLetterConfig as Record<string, Value> | undefined)?.Arn);
      if (arn) arns.add(arn);
    }
  }
  return arns;
}
