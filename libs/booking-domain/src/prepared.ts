import type { QueryResultRow } from 'pg';
import type { SqlExecutor } from '@concert/db';

/**
 * The rows of a hot-path statement, prepared under `name` once per pooled connection, so
 * PostgreSQL parses and plans it once instead of at every request. A name stands for one text.
 */
export async function preparedRows<T extends QueryResultRow>(
  on: SqlExecutor,
  name: string,
  text: string,
  values: unknown[],
): Promise<T[]> {
  return (await on.query<T>({ name, text, values })).rows;
}
