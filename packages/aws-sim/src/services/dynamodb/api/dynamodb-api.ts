import type { SimService } from '../../../core/service.js';
import type { DynamoDbSim } from '../dynamodb.js';
import { dynamodbAuthorization } from './authorization.js';

/** The DynamoDB API (JSON 1.0 protocol): each call runs on the caller's account and region's tables. */
export function dynamodbApi(dynamodb: DynamoDbSim): SimService {
  return {
    name: 'dynamodb',
    protocol: 'json1.0',
    call: (action, input, ctx) => dynamodb.run(ctx.account, ctx.region, action, input),
    authorization: (action, input, ctx) =>
      dynamodbAuthorization(action, input, ctx, (table, index) => dynamodb.keys(ctx.account, ctx.region, table, index)),
  };
}
