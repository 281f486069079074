import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { KMSClient } from '@aws-sdk/client-kms';
import { RDSClient } from '@aws-sdk/client-rds';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SSMClient } from '@aws-sdk/client-ssm';
import { STSClient } from '@aws-sdk/client-sts';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';

export type Credentials = AwsCredentialIdentity | AwsCredentialIdentityProvider;

export type ServiceName = 'ec2' | 'kms' | 'sts' | 'sqs' | 'ssm' | 'rds' | 'dynamodb' | 'cloudwatch';

/**
 * Client settings: `defaults` apply to every client (the simulated cloud passes its request
 * handler and retry strategy there); a `services` entry replaces them for that service
 * (DynamoDB goes to dynalite locally).
 */
export interface ClientSettings {
  defaults?: Record<string, unknown>;
  services?: Partial<Record<ServiceName, Record<string, unknown>>>;
}

export type ClientClass<C> = new (config: Record<string, unknown>) => C;

/**
 * The SDK resolves a command's middleware stack once per command class instead of on every call
 * (about 0.1 ms of CPU per call here; the hub never changes a stack after the first request). The
 * DynamoDB document client refuses it: its commands add their own marshalling middleware.
 */
const MIDDLEWARE_RESOLVED_ONCE = { cacheMiddleware: true };

/**
 * The one place AWS clients are made. Clients are cached per service, region and
 * credentials, so a warm Lambda reuses connections and assumed-role sessions. Each service has
 * its own function below rather than a method: a bundle then holds only the SDK clients its
 * code asks for (DynamoDB, which every function uses, is the one method).
 *
 * @example
 * const aws = new AwsClients({ defaults: { retryMode: 'adaptive', maxAttempts: 8 } });
 * await ec2Client(aws, 'eu-west-1').send(new DescribeSnapshotsCommand({ OwnerIds: ['self'] }));
 */
export class AwsClients {
  readonly #cache = new Map<string, unknown>();
  readonly #credentialIds = new WeakMap<object, number>();
  #nextCredentialId = 1;

  constructor(private readonly settings: ClientSettings = {}) {}

  dynamo(region: string): DynamoDBDocumentClient {
    const key = `ddbdoc|${region}`;
    let client = this.#cache.get(key) as DynamoDBDocumentClient | undefined;
    if (!client) {
      client = DynamoDBDocumentClient.from(this.client('dynamodb', DynamoDBClient, region, undefined), {
        marshallOptions: { removeUndefinedValues: true },
      });
      this.#cache.set(key, client);
    }
    return client;
  }

  /** A client of one service, made once per region and credentials; see the per-service functions below. */
  client<C>(service: ServiceName, Client: ClientClass<C>, region: string, credentials: Credentials | undefined): C {
    const key = `${service}|${region}|${credentials === undefined ? 'default' : this.#credentialId(credentials)}`;
    let client = this.#cache.get(key) as C | undefined;
    if (!client) {
      const base = this.settings.services?.[service] ?? this.settings.defaults ?? {};
      client = new Client({
        ...(service === 'dynamodb' ? {} : MIDDLEWARE_RESOLVED_ONCE),
        ...base,
        region,
        ...(credentials ? { credentials } : {}),
      });
      this.#cache.set(key, client);
    }
    return client;
  }

  #credentialId(credentials: Credentials): number {
    let id = this.#credentialIds.get(credentials);
    if (id === undefined) {
      id = this.#nextCredentialId++;
      this.#credentialIds.set(credentials, id);
    }
    return id;
  }
}

/** Makes one service's client in a region, with the caller's own credentials unless others are given. */
export type ClientFactory<C> = (aws: AwsClients, region: string, credentials?: Credentials) => C;

export const ec2Client: ClientFactory<EC2Client> = (aws, region, credentials) => aws.client('ec2', EC2Client, region, credentials);
export const kmsClient: ClientFactory<KMSClient> = (aws, region, credentials) => aws.client('kms', KMSClient, region, credentials);
export const stsClient: ClientFactory<STSClient> = (aws, region, credentials) => aws.client('sts', STSClient, region, credentials);
export const sqsClient: ClientFactory<SQSClient> = (aws, region, credentials) => aws.client('sqs', SQSClient, region, credentials);
export const ssmClient: ClientFactory<SSMClient> = (aws, region, credentials) => aws.client('ssm', SSMClient, region, credentials);
export const rdsClient: ClientFactory<RDSClient> = (aws, region, credentials) => aws.client('rds', RDSClient, region, credentials);
/** The vault's own CloudWatch: the RPO check keeps the per-source alarms with it. */
export const cloudwatchClient: ClientFactory<CloudWatchClient> = (aws, region, credentials) =>
  aws.client('cloudwatch', CloudWatchClient, region, credentials);
