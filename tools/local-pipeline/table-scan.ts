/**
 * Every version record of the table, read back by the local pipeline's report and by the tests. No handler scans
 * the table (the sweep reads only its indexes), so this lives here and no Lambda bundle carries a Scan.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { paginateScan } from '@aws-sdk/lib-dynamodb';
import { documentClientOf, itemToStored, type StoredRecord } from '../../lambda/adapters/dynamodb';
import { SWEEP_CURSOR, TABLE_KEY } from '../../lambda/shared/contract';

/** The table to read: a client and the table's name. */
export interface TableRef {
  readonly client: DynamoDBClient;
  readonly tableName: string;
}

/** Every record, page by page (the sweep's cursor item is not a record and is left out). */
export async function* scanRecords(table: TableRef): AsyncIterable<StoredRecord> {
  const client = documentClientOf(table.client);
  for await (const page of paginateScan({ client }, { TableName: table.tableName })) {
    for (const item of page.Items ?? []) if (item[TABLE_KEY.partition] !== SWEEP_CURSOR.pk) yield itemToStored(item);
  }
}
