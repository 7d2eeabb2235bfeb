/**
 * dynalite answers a failed condition without the item, although the request asked for it
 * (`ReturnValuesOnConditionCheckFailure: ALL_OLD`, which DynamoDB honours since 2023). The drain's recovery of a
 * write whose response was lost needs that item, so on the emulators this middleware adds it the way DynamoDB
 * does: on a ConditionalCheckFailedException it reads the item (consistent GetItem through `reader`, a client
 * without this middleware) and puts it in the error body as `Item`. Local harness and tests only.
 */
import { type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { Readable } from 'node:stream';

type Raw = { response?: { statusCode?: number; body?: unknown } };

async function text(body: unknown): Promise<string> {
  if (typeof body === 'string') return body;
  const chunks: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<Buffer | string>) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}

export function returnItemOnConditionFailure(client: DynamoDBClient, reader: DynamoDBClient): DynamoDBClient {
  client.middlewareStack.add(
    (next) => async (args) => {
      const result = await next(args);
      const raw = result as unknown as Raw;
      const sent = (args as { request?: { body?: unknown } }).request?.body;
      const request = typeof sent === 'string' ? sent : sent instanceof Uint8Array ? new TextDecoder().decode(sent) : undefined;
      const response = raw.response;
      if (response?.statusCode !== 400 || !request?.includes('"ReturnValuesOnConditionCheckFailure":"ALL_OLD"')) return result;
      const body = await text(response.body);
      let parsed: Record<string, unknown>;
      try {
        parsed = JSON.parse(body);
      } catch {
        response.body = Readable.from([Buffer.from(body)]);
        return result;
      }
      if (String(parsed.__type ?? '').endsWith('ConditionalCheckFailedException') && parsed.Item === undefined) {
        const { TableName, Key } = JSON.parse(request);
        const item = (await reader.send(new GetItemCommand({ TableName, Key, ConsistentRead: true }))).Item;
        if (item) parsed.Item = item;
      }
      response.body = Readable.from([Buffer.from(JSON.stringify(parsed))]);
      return result;
    },
    { step: 'deserialize', name: 'dynaliteReturnItemOnConditionFailure' },
  );
  return client;
}
