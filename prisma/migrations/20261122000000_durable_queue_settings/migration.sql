-- Queue settings are stored durably here (the waiting room keeps its working copy in Redis and
-- re-reads this table whenever Redis has lost a queue).

-- CreateTable
CREATE TABLE "queue" (
    "id" TEXT NOT NULL,
    "max_active" INTEGER NOT NULL,
    "active_ttl_seconds" INTEGER NOT NULL,
    "paused" BOOLEAN NOT NULL DEFAULT false,
    "admit_per_minute" INTEGER,
    "opens_at" TIMESTAMPTZ(3),
    "abandon_after_seconds" INTEGER NOT NULL,
    "max_active_per_seat" DOUBLE PRECISION,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "queue_pkey" PRIMARY KEY ("id")
);

-- Every existing concert's queue becomes a stored queue, with DESIGN.md's default settings.
INSERT INTO "queue" ("id", "max_active", "active_ttl_seconds", "abandon_after_seconds")
SELECT DISTINCT "queue_id", 100, 600, 300 FROM "concert";

-- AddForeignKey
ALTER TABLE "concert" ADD CONSTRAINT "concert_queue_id_fkey" FOREIGN KEY ("queue_id") REFERENCES "queue"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
