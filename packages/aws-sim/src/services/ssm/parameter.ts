import { AwsError } from '../../core/errors.js';

export type ParameterType = 'String' | 'StringList' | 'SecureString';
export type ParameterTier = 'Standard' | 'Advanced' | 'Intelligent-Tiering';

/** One version of a parameter. SecureString values are held only as KMS ciphertext. */
export interface ParameterVersion {
  version: number;
  type: ParameterType;
  /** The value of a String or StringList. */
  plaintext?: string;
  /** The value of a SecureString, sealed by the simulated KMS. */
  ciphertext?: Buffer;
  keyArn?: string;
  description?: string;
  tier: ParameterTier;
  dataType: string;
  labels: string[];
  lastModified: Date;
  lastModifiedUser: string;
}

/** Parameter Store keeps the 100 most recent versions of a parameter (PutParameter, ParameterMaxVersionLimitExceeded). */
export const MAX_VERSIONS = 100;
/** A version holds at most 10 labels (LabelParameterVersion). */
const MAX_LABELS_PER_VERSION = 10;
/** Labels: letters, digits, `.`, `-`, `_`, at most 100 characters, not starting with a digit, `aws` or `ssm`. */
const LABEL = /^(?![0-9])(?!aws)(?!ssm)[A-Za-z0-9._-]{1,100}$/i;

/** A parameter of one account and region: its version history, labels and tags. */
/** `arn:aws:ssm:<region>:<account>:parameter/<name>`; a leading slash of the name is not repeated. */
export const parameterArn = (region: string, account: string, name: string) =>
  `arn:aws:ssm:${region}:${account}:parameter/${name.replace(/^\//, '')}`;

export class SimParameter {
  readonly versions: ParameterVersion[] = [];
  readonly tags = new Map<string, string>();

  constructor(
    readonly account: string,
    readonly region: string,
    readonly name: string,
  ) {}

  get arn(): string {
    return parameterArn(this.region, this.account, this.name);
  }

  latest(): ParameterVersion {
    return this.versions[this.versions.length - 1]!;
  }

  /**
   * Appends a version. At the limit the oldest is dropped, unless it carries a label.
   * @throws AwsError ParameterMaxVersionLimitExceeded
   */
  append(version: Omit<ParameterVersion, 'version' | 'labels'>): ParameterVersion {
    if (this.versions.length >= MAX_VERSIONS) {
      const oldest = this.versions[0]!;
      if (oldest.labels.length > 0) {
        throw new AwsError(
          'ParameterMaxVersionLimitExceeded',
          `You attempted to create a new version of ${this.name} by calling the PutParameter API with the overwrite flag. Version ${oldest.version}, the oldest version, can't be deleted because it has a label associated with it. Move the label to another version of the parameter, and try again.`,
        );
      }
      this.versions.shift();
    }
    const next = { ...version, version: this.versions.length ? this.latest().version + 1 : 1, labels: [] };
    this.versions.push(next);
    return next;
  }

  /**
   * A version by selector: a number, a label, or the latest when absent.
   * @throws AwsError ParameterVersionNotFound
   */
  select(selector: string | undefined): ParameterVersion {
    if (selector === undefined) return this.latest();
    const found = /^\d+$/.test(selector)
      ? this.versions.find((v) => v.version === Number(selector))
      : this.versions.find((v) => v.labels.includes(selector));
    if (!found)
      throw new AwsError(
        'ParameterVersionNotFound',
        `Systems Manager could not find version ${selector} of ${this.name}. Verify the version and try again.`,
      );
    return found;
  }

  /**
   * Attaches labels to a version, moving each from any other version. Labels that break the
   * naming rules are returned, not attached.
   * @throws AwsError ParameterVersionNotFound, ParameterVersionLabelLimitExceeded
   */
  label(versionNumber: number | undefined, labels: string[]): { version: ParameterVersion; invalid: string[] } {
    const version = this.select(versionNumber === undefined ? undefined : String(versionNumber));
    const valid = labels.filter((l) => LABEL.test(l));
    const added = valid.filter((l) => !version.labels.includes(l));
    if (version.labels.length + added.length > MAX_LABELS_PER_VERSION) {
      throw new AwsError('ParameterVersionLabelLimitExceeded', 'A parameter version can have maximum 10 labels.');
    }
    for (const other of this.versions) other.labels = other.labels.filter((l) => !added.includes(l));
    version.labels.push(...added);
    return { version, invalid: labels.filter((l) => !valid.includes(l)) };
  }
}
