import { describe, expect, it } from 'vitest';
import { checkConditionKeys, UnsupportedConditionKeyError } from '../../accounts/stack/condition-keys.js';
import { role } from '../../accounts/stack/policies.js';
import { buildService, everyStack } from '../../accounts/stack/service.js';
import { DEFAULT_ACCOUNTS_DIR, loadAccounts } from '../../shared/config/accounts.js';

const VAULT = '999999999999';
const ami = 'arn:aws:ec2:eu-west-1::image/*';

/** A reader role with one statement, as the stack model writes roles. */
const readerWith = (statement: Record<string, unknown>) => ({
  ReaderRole: role({
    name: 'backup-hub-reader',
    description: 'test',
    trust: [],
    statements: [{ Sid: 'Share', Effect: 'Allow', ...statement } as never],
  }),
});

describe('condition keys, checked when the stacks are built', () => {
  it('refuses ec2:Add/userId on ModifyImageAttribute, naming the statement: AWS defines it for ModifySnapshotAttribute only', () => {
    const statement = { Action: 'ec2:ModifyImageAttribute', Resource: ami, Condition: { StringEquals: { 'ec2:Add/userId': VAULT } } };
    expect(() => checkConditionKeys(readerWith(statement))).toThrow(UnsupportedConditionKeyError);
    expect(() => checkConditionKeys(readerWith(statement))).toThrow(
      /ReaderRole policy backup-hub-reader, statement Share: ec2:Add\/userId is supported by none of ec2:ModifyImageAttribute/,
    );
  });

  it('accepts the key where AWS sets it, a key one of several actions supports, and global keys anywhere', () => {
    const snapshots = { Action: 'ec2:ModifySnapshotAttribute', Resource: '*', Condition: { StringEquals: { 'ec2:Add/userId': VAULT } } };
    expect(() => checkConditionKeys(readerWith(snapshots))).not.toThrow();
    const either = { ...snapshots, Action: ['ec2:ModifySnapshotAttribute', 'ec2:ModifyImageAttribute'] };
    expect(() => checkConditionKeys(readerWith(either))).not.toThrow();
    const global = { Action: 'ec2:ModifyImageAttribute', Resource: ami, Condition: { StringLike: { 'aws:ResourceTag/owner': '*' } } };
    expect(() => checkConditionKeys(readerWith(global))).not.toThrow();
    // Wildcard actions are expanded: kms:ViaService is a key of every kms:ReEncrypt* action.
    const wildcard = {
      Action: 'kms:ReEncrypt*',
      Resource: '*',
      Condition: { StringEquals: { 'kms:ViaService': 'ec2.eu-west-1.amazonaws.com' } },
    };
    expect(() => checkConditionKeys(readerWith(wildcard))).not.toThrow();
  });

  it('builds every stack of the account files, whose every condition key its actions support', () => {
    const config = loadAccounts(DEFAULT_ACCOUNTS_DIR);
    for (const stack of everyStack(config))
      expect(() => buildService(config, stack.account, { stage: 'dev', region: stack.region })).not.toThrow();
  });
});
