-- The lobby draw's secret seed is kept with the queue's settings, so that a Redis that lost its
-- data gets the same seed back: the commitment published before the opening stays true, and
-- nobody can draw again by emptying Redis. `draw_opens_at` is the opening the seed is for (the
-- seed is secret until then).

-- AlterTable
ALTER TABLE "queue" ADD COLUMN     "draw_opens_at" TIMESTAMPTZ(3),
ADD COLUMN     "draw_seed" TEXT;
