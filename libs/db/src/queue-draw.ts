import { rows, type SqlExecutor } from './sql.js';

/**
 * Keeps a queue's lobby draw seed in step with its opening time, after its settings changed, in
 * one statement: a seed not yet revealed (its opening still ahead) is kept whatever moves, since
 * its commitment is public (an opening moved into the past, or cleared, is then now); otherwise
 * an opening ahead gets `freshSeed`. Returns the seed the waiting room is to hold (null: none).
 */
export async function settleQueueDraw(on: SqlExecutor, queueId: string, freshSeed: string): Promise<string | null> {
  const [row] = await rows<{ draw_seed: string | null }>(
    on,
    `UPDATE queue SET
       draw_seed = CASE WHEN draw_seed IS NOT NULL AND draw_opens_at > now() THEN draw_seed
                        WHEN opens_at > now() THEN $2
                        ELSE draw_seed END,
       draw_opens_at = CASE WHEN draw_seed IS NOT NULL AND draw_opens_at > now()
                              THEN CASE WHEN opens_at > now() THEN opens_at ELSE now() END
                            WHEN opens_at > now() THEN opens_at
                            ELSE draw_opens_at END
     WHERE id = $1
     RETURNING draw_seed`,
    [queueId, freshSeed],
  );
  return row?.draw_seed ?? null;
}

/** A queue's durable draw seed (null when it never had an opening, or no such queue). */
export async function findQueueDrawSeed(on: SqlExecutor, queueId: string): Promise<string | null> {
  const [row] = await rows<{ draw_seed: string | null }>(on, 'SELECT draw_seed FROM queue WHERE id = $1', [queueId]);
  return row?.draw_seed ?? null;
}
