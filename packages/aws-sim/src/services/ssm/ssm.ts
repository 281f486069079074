import type { CloudCore } from '../../core/cloud-core.js';
import { AwsError } from '../../core/errors.js';
import { type Principal, rootArn } from '../iam/iam.js';
import type { KmsSim } from '../kms/kms.js';
import { type ParameterOperation, parameterChangeEvent } from './events.js';
import {
  checkName,
  checkPattern,
  type ParameterTier,
  type ParameterType,
  type ParameterVersion,
  SimParameter,
  type StoredTier,
} from './parameter.js';

/** What PutParameter takes (the API and the control plane alike). */
export interface PutParameterRequest {
  name: string;
  value: string;
  /** Required to create; an update keeps the current type when absent. */
  type?: ParameterType;
  /** Key id, ARN or alias for a SecureString; the account's `aws/ssm` key when absent. */
  keyId?: string;
  description?: string;
  tier?: ParameterTier;
  overwrite?: boolean;
  tags?: { Key: string; Value: string }[];
  dataType?: string;
}

/** Parameter values: 4 KB in the Standard tier, 8 KB in Advanced. */
const MAX_VALUE_BYTES: Record<StoredTier, number> = { Standard: 4096, Advanced: 8192 };

/**
 * Simulated Systems Manager Parameter Store (JSON 1.1). Every change, through the API or the
 * control plane, emits the documented `Parameter Store Change` event in the owner's account.
 * SecureString values are encrypted through the simulated KMS on the caller's behalf
 * (`kms:ViaService` ssm), so reading them back checks the reader's access to the key.
 */
export class SsmSim {
  readonly #parameters = new Map<string, SimParameter>();

  constructor(
    readonly cloud: CloudCore,
    readonly kms: KmsSim,
  ) {}

  /**
   * Creates or updates a parameter as the account's administrator (drills and tests); with
   * `emit: false` silently, so that a later raw event can announce it.
   * @returns the new version
   */
  putParameter(account: string, region: string, request: PutParameterRequest, options: { emit?: boolean } = {}): ParameterVersion {
    return this.put(account, region, adminOf(account), request, options.emit ?? true);
  }

  /** Deletes a parameter as the account's administrator. */
  deleteParameter(account: string, region: string, name: string): void {
    this.delete(account, region, name);
  }

  /** A parameter, if it exists. */
  parameter(account: string, region: string, name: string): SimParameter | undefined {
    return this.#parameters.get(keyOf(account, region, name));
  }

  /** The parameters of an account and region. */
  parameters(account: string, region: string): SimParameter[] {
    return [...this.#parameters.values()].filter((p) => p.account === account && p.region === region);
  }

  /**
   * PutParameter for a principal.
   * @throws AwsError ParameterAlreadyExists, ValidationException, ParameterMaxVersionLimitExceeded, and KMS's errors
   */
  put(account: string, region: string, principal: Principal, request: PutParameterRequest, emit = true): ParameterVersion {
    checkName(account, region, request.name);
    const existing = this.parameter(account, region, request.name);
    if (existing && !request.overwrite)
      throw new AwsError(
        'ParameterAlreadyExists',
        'The parameter already exists. To overwrite this value, set the overwrite option in the request to true.',
      );
    if (existing && request.tags?.length)
      throw new AwsError(
        'ValidationException',
        "Tags and overwrite can't be used together. To create a parameter with tags, please remove overwrite flag. To update tags for an existing parameter, please use AddTagsToResource or RemoveTagsFromResource.",
      );
    const type = request.type ?? existing?.latest().type;
    if (!type) throw new AwsError('ValidationException', 'A parameter type is required when you create a parameter.');
    const tier = tierOf(request, existing?.latest().tier);
    const parameter = existing ?? new SimParameter(account, region, request.name);
    const stored = type === 'SecureString' ? this.#encrypt(parameter, principal, request) : { plaintext: request.value };
    const version = parameter.append({
      ...stored,
      type,
      description: request.description ?? existing?.latest().description,
      tier,
      dataType: request.dataType ?? 'text',
      lastModified: this.cloud.clock.now(),
      lastModifiedUser: principal.sessionArn ?? principal.arn,
    });
    for (const tag of request.tags ?? []) parameter.tags.set(tag.Key, tag.Value);
    this.#parameters.set(keyOf(account, region, request.name), parameter);
    if (emit) this.#emit(parameter, existing ? 'Update' : 'Create', version);
    return version;
  }

  /**
   * DeleteParameter.
   * @throws AwsError ParameterNotFound
   */
  delete(account: string, region: string, name: string): void {
    const parameter = this.find(account, region, name);
    this.#parameters.delete(keyOf(account, region, name));
    this.#emit(parameter, 'Delete', parameter.latest());
  }

  /**
   * LabelParameterVersion; the change event is emitted when a label was attached.
   * @throws AwsError ParameterNotFound, ParameterVersionNotFound, ParameterVersionLabelLimitExceeded
   */
  label(
    account: string,
    region: string,
    name: string,
    versionNumber: number | undefined,
    labels: string[],
  ): { version: ParameterVersion; invalid: string[] } {
    const parameter = this.find(account, region, name);
    const result = parameter.label(versionNumber, labels);
    if (result.invalid.length < labels.length) this.#emit(parameter, 'LabelParameterVersion', result.version);
    return result;
  }

  /**
   * A parameter by name.
   * @throws AwsError ParameterNotFound, ValidationException
   */
  find(account: string, region: string, name: string): SimParameter {
    checkPattern(name);
    const parameter = this.parameter(account, region, name);
    if (!parameter) throw new AwsError('ParameterNotFound', `Parameter ${name} not found.`);
    return parameter;
  }

  /**
   * The value of a version as the principal may read it: SecureStrings decrypted only when asked
   * and allowed (else the ciphertext, base64, as AWS returns it).
   * @throws AwsError AccessDeniedException and KMS's other errors when decryption is refused
   */
  valueOf(parameter: SimParameter, version: ParameterVersion, principal: Principal, withDecryption: boolean): string {
    if (version.ciphertext === undefined) return version.plaintext ?? '';
    if (!withDecryption) return version.ciphertext.toString('base64');
    const { plaintext } = this.kms.decrypt(version.ciphertext, principal, {
      encryptionContext: contextOf(parameter),
      via: viaSsm(parameter.region),
    });
    return plaintext.toString('utf8');
  }

  /** Forgets an account's parameters, silently (disaster drills: nothing is left to announce a deletion). */
  removeAccount(account: string): void {
    for (const [key, parameter] of this.#parameters) if (parameter.account === account) this.#parameters.delete(key);
  }

  #encrypt(parameter: SimParameter, principal: Principal, request: PutParameterRequest): { ciphertext: Buffer; keyArn: string } {
    const { account, region } = parameter;
    const key =
      request.keyId === undefined ? this.kms.awsManagedKey(account, region, 'ssm') : this.kms.resolveKey(request.keyId, account, region);
    const ciphertext = this.kms.encrypt(key.arn, principal, Buffer.from(request.value, 'utf8'), {
      encryptionContext: contextOf(parameter),
      via: viaSsm(region),
    });
    return { ciphertext, keyArn: key.arn };
  }

  #emit(parameter: SimParameter, operation: ParameterOperation, version: ParameterVersion): void {
    this.cloud.emitServiceEvent(parameterChangeEvent(parameter, operation, version));
  }
}

/**
 * The tier a version is stored in. "You can change a standard parameter to an advanced parameter at
 * any time, but you can't revert an advanced parameter to a standard parameter"; Intelligent-Tiering
 * picks Advanced only when the value needs it (or the parameter already is). Values: 4 KB Standard,
 * 8 KB Advanced (user guide, "Managing parameter tiers").
 * @throws AwsError ValidationException
 */
function tierOf(request: PutParameterRequest, current: StoredTier | undefined): StoredTier {
  const bytes = Buffer.byteLength(request.value);
  const asked = request.tier ?? current ?? 'Standard';
  const tier =
    asked === 'Intelligent-Tiering' ? (current === 'Advanced' || bytes > MAX_VALUE_BYTES.Standard ? 'Advanced' : 'Standard') : asked;
  if (current === 'Advanced' && tier === 'Standard')
    throw new AwsError(
      'ValidationException',
      "This parameter uses the advanced-parameter tier. You can't downgrade a parameter from the advanced-parameter tier to the standard-parameter tier. If necessary, you can delete the advanced parameter and recreate it as a standard parameter.",
    );
  if (bytes > MAX_VALUE_BYTES[tier])
    throw new AwsError(
      'ValidationException',
      tier === 'Standard'
        ? 'Standard tier parameters support a maximum parameter value of 4096 characters. To create a larger parameter value, upgrade the parameter to use the advanced-parameter tier.'
        : 'Advanced tier parameters support a maximum parameter value of 8192 characters.',
    );
  return tier;
}

const keyOf = (account: string, region: string, name: string) => `${account}|${region}|${name}`;
const adminOf = (account: string): Principal => ({ account, arn: rootArn(account) });
/** Parameter Store encrypts a SecureString under the encryption context `PARAMETER_ARN`. */
const contextOf = (parameter: SimParameter) => ({ PARAMETER_ARN: parameter.arn });
const viaSsm = (region: string) => ({ viaService: `ssm.${region}.amazonaws.com` });
