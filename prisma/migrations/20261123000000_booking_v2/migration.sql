-- Booking v2: multi-seat and best-available holds with a per-fan ticket limit, refunds, a fan's
-- records, and an outbox of the effects that must follow a commit (ending the paying queue token,
-- the waiting room's seats-left figures).

-- AlterEnum (new values are only used after this migration's transaction)
ALTER TYPE "ReservationStatus" ADD VALUE 'REFUNDED';
ALTER TYPE "PointTransactionType" ADD VALUE 'REFUND';

-- CreateEnum
CREATE TYPE "PaymentStatus" AS ENUM ('PAID', 'REFUNDED');

-- AlterTable
ALTER TABLE "payment" ADD COLUMN "status" "PaymentStatus" NOT NULL DEFAULT 'PAID',
ADD COLUMN "refunded_at" TIMESTAMPTZ(3);

-- CreateTable (one row per transaction; rows live about a second, so no index beyond the key)
CREATE TABLE "outbox_effect" (
    "id" BIGSERIAL NOT NULL,
    "queue_id" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "outbox_effect_pkey" PRIMARY KEY ("id")
);

-- CreateIndex (a fan's payments, newest first, replaces the plain user index)
DROP INDEX "payment_user_id_idx";
CREATE INDEX "payment_user_id_paid_at_idx" ON "payment"("user_id", "paid_at" DESC);

/*
 * Lock namespaces (two-key advisory locks), taken in this order by every transaction that takes
 * more than one: 2 = a queue's inventory (shared by every change of its seats' states; taken
 * exclusively only by the seats-left reconciliation), 1 = a user's holds, 3 = a date's
 * best-available picks.
 */

/*
 * Holds the seats `p_seat_nos` of one date for one user, all or none, in one call (one round trip
 * when run alone). Checks, in order: the date is a future date of the concert; every seat exists;
 * every seat is free (AVAILABLE, or HELD with its hold over); the user's live holds stay within
 * `p_max_holds`; the user's held and paid seats of the concert stay within `p_max_tickets` (null:
 * no limit). The first failed check is the outcome and nothing is written. The seats are locked in
 * seat order, so concurrent multi-seat holds never deadlock; the user's advisory lock makes the
 * limits exact under the user's own concurrency. A hold records the change of the queue's
 * seats-left figures in the outbox (a lapsed hold taken over changes nothing: the seat stays HELD).
 */
CREATE FUNCTION booking_hold_seats(
    p_user_id TEXT,
    p_concert_id UUID,
    p_schedule_id UUID,
    p_seat_nos INTEGER[],
    p_hold_seconds INTEGER,
    p_max_holds INTEGER,
    p_max_tickets INTEGER
) RETURNS TABLE (outcome TEXT, failed_seat_no INTEGER, held_until TIMESTAMPTZ, held JSONB, effects JSONB)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    v_queue_id TEXT;
    v_wanted INTEGER := cardinality(p_seat_nos);
    v_found INTEGER;
    v_blocked INTEGER;
    v_freed INTEGER;
    v_holds INTEGER;
    v_tickets INTEGER;
    -- Rounded as the column stores it, so the answer and later reads agree to the millisecond.
    v_until TIMESTAMPTZ := (now() + make_interval(secs => p_hold_seconds))::TIMESTAMPTZ(3);
BEGIN
    SELECT c.queue_id INTO v_queue_id FROM concert c WHERE c.id = p_concert_id;
    IF v_queue_id IS NULL THEN
        RETURN QUERY SELECT 'SCHEDULE_NOT_FOUND', NULL::INTEGER, NULL::TIMESTAMPTZ, NULL::JSONB, NULL::JSONB;
        RETURN;
    END IF;
    PERFORM pg_advisory_xact_lock_shared(2, hashtext(v_queue_id)), pg_advisory_xact_lock(1, hashtext(p_user_id));

    IF NOT EXISTS (SELECT 1 FROM schedule sc
                    WHERE sc.id = p_schedule_id AND sc.concert_id = p_concert_id AND sc.starts_at > now()) THEN
        RETURN QUERY SELECT 'SCHEDULE_NOT_FOUND', NULL::INTEGER, NULL::TIMESTAMPTZ, NULL::JSONB, NULL::JSONB;
        RETURN;
    END IF;

    WITH locked AS (
        SELECT s.seat_no, s.status, s.hold_expires_at FROM seat s
         WHERE s.schedule_id = p_schedule_id AND s.seat_no = ANY (p_seat_nos)
         ORDER BY s.seat_no
           FOR UPDATE
    )
    SELECT count(*)::INTEGER,
           min(l.seat_no) FILTER (WHERE l.status = 'SOLD' OR (l.status = 'HELD' AND l.hold_expires_at > now())),
           (count(*) FILTER (WHERE l.status = 'AVAILABLE'))::INTEGER
      INTO v_found, v_blocked, v_freed
      FROM locked l;

    IF v_found < v_wanted THEN
        RETURN QUERY SELECT 'SEAT_NOT_FOUND', min(n)::INTEGER, NULL::TIMESTAMPTZ, NULL::JSONB, NULL::JSONB
          FROM unnest(p_seat_nos) AS n
         WHERE NOT EXISTS (SELECT 1 FROM seat s WHERE s.schedule_id = p_schedule_id AND s.seat_no = n);
        RETURN;
    END IF;
    IF v_blocked IS NOT NULL THEN
        RETURN QUERY SELECT 'SEAT_UNAVAILABLE', v_blocked, NULL::TIMESTAMPTZ, NULL::JSONB, NULL::JSONB;
        RETURN;
    END IF;

    SELECT (count(*) FILTER (WHERE r.status = 'HELD' AND r.expires_at > now()))::INTEGER,
           (count(*) FILTER (WHERE r.concert_id = p_concert_id
                               AND (r.status = 'CONFIRMED' OR (r.status = 'HELD' AND r.expires_at > now()))))::INTEGER
      INTO v_holds, v_tickets
      FROM reservation r
     WHERE r.user_id = p_user_id AND r.status IN ('HELD', 'CONFIRMED');
    IF v_holds + v_wanted > p_max_holds THEN
        RETURN QUERY SELECT 'HOLD_LIMIT_REACHED', NULL::INTEGER, NULL::TIMESTAMPTZ, NULL::JSONB, NULL::JSONB;
        RETURN;
    END IF;
    IF p_max_tickets IS NOT NULL AND v_tickets + v_wanted > p_max_tickets THEN
        RETURN QUERY SELECT 'TICKET_LIMIT_REACHED', NULL::INTEGER, NULL::TIMESTAMPTZ, NULL::JSONB, NULL::JSONB;
        RETURN;
    END IF;

    RETURN QUERY
    WITH taken_seats AS (
        UPDATE seat s SET status = 'HELD', reservation_id = gen_random_uuid(), hold_expires_at = v_until
         WHERE s.schedule_id = p_schedule_id AND s.seat_no = ANY (p_seat_nos)
        RETURNING s.id, s.seat_no, s.price, s.reservation_id
    ), new_reservations AS (
        INSERT INTO reservation (id, user_id, concert_id, schedule_id, seat_id, seat_no, price, status, expires_at)
        SELECT t.reservation_id, p_user_id, p_concert_id, p_schedule_id, t.id, t.seat_no, t.price, 'HELD', v_until
          FROM taken_seats t
        RETURNING reservation.id, reservation.seat_no, reservation.price
    ), new_effects AS (
        INSERT INTO outbox_effect (queue_id, payload)
        SELECT v_queue_id, jsonb_build_object('seats', jsonb_build_object('left', -v_freed, 'held', v_freed))
         WHERE v_freed > 0
        RETURNING outbox_effect.id, outbox_effect.queue_id, outbox_effect.payload
    )
    SELECT 'HELD', NULL::INTEGER, v_until,
           (SELECT jsonb_agg(jsonb_build_object('id', nr.id, 'seatNo', nr.seat_no, 'price', nr.price)
                             ORDER BY nr.seat_no) FROM new_reservations nr),
           (SELECT coalesce(jsonb_agg(jsonb_build_object('id', fx.id::TEXT, 'queueId', fx.queue_id)
                                      || fx.payload), '[]'::JSONB)
              FROM new_effects fx);
END
$$;

/*
 * Pays for reservations `p_reservation_ids` (distinct) of one user, all or none, in one call: the
 * reservations are locked in id order (overlapping payments never deadlock, a reservation is paid
 * at most once), every one must be the user's, of a concert sold through `p_queue_id` (the paying
 * token's queue), and a live hold; the balance (locked) must cover the sum. Then the seats are
 * SOLD, the reservations CONFIRMED, one payment row and one USE ledger row written, and the
 * effects that must follow the commit recorded in the outbox (one row): ending the paying
 * token (`p_token`, when given) and the seats-left change. Failed checks write nothing; a seat that is
 * not held by its reservation any more (cannot happen while the hold is live) raises BK001 and
 * rolls everything back.
 */
CREATE FUNCTION booking_pay(
    p_payment_id UUID,
    p_user_id TEXT,
    p_queue_id TEXT,
    p_reservation_ids UUID[],
    p_token JSONB
) RETURNS TABLE (outcome TEXT, failed_id UUID, new_balance INTEGER, total INTEGER, paid TIMESTAMPTZ, effects JSONB)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    v_wanted INTEGER := cardinality(p_reservation_ids);
    v_found INTEGER;
    v_foreign BOOLEAN;
    v_paid UUID;
    v_lapsed UUID;
    v_amount INTEGER;
    v_balance INTEGER;
    v_sold INTEGER;
    v_paid_at TIMESTAMPTZ;
    v_effects JSONB;
BEGIN
    PERFORM pg_advisory_xact_lock_shared(2, hashtext(p_queue_id));

    WITH mine AS (
        SELECT r.id, r.status, r.expires_at, r.price, r.concert_id FROM reservation r
         WHERE r.id = ANY (p_reservation_ids) AND r.user_id = p_user_id
         ORDER BY r.id
           FOR UPDATE
    )
    SELECT count(*)::INTEGER,
           coalesce(bool_or(c.queue_id IS DISTINCT FROM p_queue_id), false),
           (array_agg(m.id ORDER BY m.id) FILTER (WHERE m.status IN ('CONFIRMED', 'REFUNDED')))[1],
           (array_agg(m.id ORDER BY m.id) FILTER (WHERE m.status <> 'HELD' OR m.expires_at <= now()))[1],
           coalesce(sum(m.price), 0)::INTEGER
      INTO v_found, v_foreign, v_paid, v_lapsed, v_amount
      FROM mine m LEFT JOIN concert c ON c.id = m.concert_id;

    IF v_found < v_wanted THEN
        RETURN QUERY SELECT 'RESERVATION_NOT_FOUND', i, NULL::INTEGER, NULL::INTEGER, NULL::TIMESTAMPTZ, NULL::JSONB
          FROM unnest(p_reservation_ids) AS i
         WHERE NOT EXISTS (SELECT 1 FROM reservation r WHERE r.id = i AND r.user_id = p_user_id)
         ORDER BY i LIMIT 1;
        RETURN;
    END IF;
    IF v_foreign THEN
        RETURN QUERY SELECT 'TOKEN_WRONG_QUEUE', NULL::UUID, NULL::INTEGER, NULL::INTEGER, NULL::TIMESTAMPTZ, NULL::JSONB;
        RETURN;
    END IF;
    IF v_paid IS NOT NULL THEN
        RETURN QUERY SELECT 'RESERVATION_ALREADY_PAID', v_paid, NULL::INTEGER, NULL::INTEGER, NULL::TIMESTAMPTZ, NULL::JSONB;
        RETURN;
    END IF;
    IF v_lapsed IS NOT NULL THEN
        RETURN QUERY SELECT 'RESERVATION_EXPIRED', v_lapsed, NULL::INTEGER, NULL::INTEGER, NULL::TIMESTAMPTZ, NULL::JSONB;
        RETURN;
    END IF;

    -- Every write in one statement, each conditioned on the debit (only if the balance covers the
    -- sum). A seat not held by its reservation any more cannot happen while the hold is live, but
    -- if it did, the whole call is rolled back.
    WITH debited AS (
        UPDATE point_balance b SET balance = b.balance - v_amount, updated_at = now()
         WHERE b.user_id = p_user_id AND b.balance >= v_amount
        RETURNING b.balance
    ), sold AS (
        UPDATE seat s SET status = 'SOLD', hold_expires_at = NULL
          FROM schedule sc
         WHERE s.reservation_id = ANY (p_reservation_ids) AND s.status = 'HELD' AND s.hold_expires_at > now()
           AND sc.id = s.schedule_id AND EXISTS (SELECT 1 FROM debited)
        RETURNING sc.starts_at > now() AS future
    ), paid AS (
        INSERT INTO payment (id, user_id, amount) SELECT p_payment_id, p_user_id, v_amount FROM debited
        RETURNING payment.paid_at
    ), ledger AS (
        INSERT INTO point_transaction (user_id, type, amount, balance_after, payment_id)
        SELECT p_user_id, 'USE', v_amount, d.balance, p_payment_id FROM debited d
    ), confirmed AS (
        UPDATE reservation r SET status = 'CONFIRMED', payment_id = p_payment_id, updated_at = now()
         WHERE r.id = ANY (p_reservation_ids) AND EXISTS (SELECT 1 FROM debited)
    ), new_effects AS (
        INSERT INTO outbox_effect (queue_id, payload)
        SELECT p_queue_id, jsonb_strip_nulls(jsonb_build_object(
                   'endToken', p_token,
                   'seats', CASE WHEN f.future > 0 THEN jsonb_build_object('left', 0, 'held', -f.future) END))
          FROM debited, (SELECT count(*) FILTER (WHERE future) AS future FROM sold) f
         WHERE p_token IS NOT NULL OR f.future > 0
        RETURNING outbox_effect.id, outbox_effect.queue_id, outbox_effect.payload
    )
    SELECT (SELECT d.balance FROM debited d), (SELECT p.paid_at FROM paid p), (SELECT count(*) FROM sold)::INTEGER,
           (SELECT coalesce(jsonb_agg(jsonb_build_object('id', fx.id::TEXT, 'queueId', fx.queue_id) || fx.payload),
                            '[]'::JSONB) FROM new_effects fx)
      INTO v_balance, v_paid_at, v_sold, v_effects;

    IF v_balance IS NULL THEN
        SELECT b.balance INTO v_balance FROM point_balance b WHERE b.user_id = p_user_id;
        RETURN QUERY SELECT 'INSUFFICIENT_BALANCE', NULL::UUID, coalesce(v_balance, 0), v_amount, NULL::TIMESTAMPTZ, NULL::JSONB;
        RETURN;
    END IF;
    IF v_sold <> v_wanted THEN
        RAISE EXCEPTION 'a seat is no longer held by its reservation' USING ERRCODE = 'BK001';
    END IF;
    RETURN QUERY SELECT 'PAID', NULL::UUID, v_balance, v_amount, v_paid_at, v_effects;
END
$$;

/*
 * The best `p_quantity` consecutive seats among free seats `p_seat_nos` (ascending, with their
 * prices `p_prices`), or NULL when no block fits: every seat of the block priced at most
 * `p_max_price` (when not NULL); among those, the blocks that leave no single free seat stranded
 * first, then the lowest seat numbers. A free seat is stranded when a block leaves it alone between
 * taken seats, or between a taken seat and the end of the row (a seat number that does not exist
 * counts as an end). Seats of any price count as free neighbours.
 */
CREATE FUNCTION booking_pick_block(
    p_seat_nos INTEGER[],
    p_prices INTEGER[],
    p_quantity INTEGER,
    p_max_price INTEGER
) RETURNS INTEGER[]
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    v_count INTEGER := coalesce(cardinality(p_seat_nos), 0);
    v_run_start INTEGER := 1;
    v_run_end INTEGER;
    v_first INTEGER;
    v_last INTEGER;
    v_fallback INTEGER;
    v_affordable BOOLEAN;
BEGIN
    -- Walk the runs of consecutive free seat numbers (array indexes are 1-based).
    WHILE v_run_start <= v_count LOOP
        v_run_end := v_run_start;
        WHILE v_run_end < v_count AND p_seat_nos[v_run_end + 1] = p_seat_nos[v_run_end] + 1 LOOP
            v_run_end := v_run_end + 1;
        END LOOP;
        v_first := v_run_start;
        WHILE v_first + p_quantity - 1 <= v_run_end LOOP
            v_last := v_first + p_quantity - 1;
            v_affordable := p_max_price IS NULL
                OR NOT EXISTS (SELECT 1 FROM unnest(p_prices[v_first:v_last]) AS price WHERE price > p_max_price);
            IF v_affordable THEN
                IF v_first - v_run_start <> 1 AND v_run_end - v_last <> 1 THEN
                    RETURN p_seat_nos[v_first:v_last];
                END IF;
                v_fallback := coalesce(v_fallback, v_first);
            END IF;
            v_first := v_first + 1;
        END LOOP;
        v_run_start := v_run_end + 1;
    END LOOP;
    IF v_fallback IS NULL THEN
        RETURN NULL;
    END IF;
    RETURN p_seat_nos[v_fallback:v_fallback + p_quantity - 1];
END
$$;

/*
 * Holds the best `p_quantity` seats of a date (booking_pick_block over its free seats, then
 * booking_hold_seats), in one call. The picks of one date are serialised by an advisory lock of
 * the date (after the queue's and the user's, the order every transaction takes them), so two fans
 * asking at once get different seats, never the same; a named hold may still take a picked seat
 * first, and then the pick is made again. Outcomes as booking_hold_seats', plus NOT_ENOUGH_SEATS.
 */
CREATE FUNCTION booking_hold_best(
    p_user_id TEXT,
    p_concert_id UUID,
    p_schedule_id UUID,
    p_quantity INTEGER,
    p_max_price INTEGER,
    p_hold_seconds INTEGER,
    p_max_holds INTEGER,
    p_max_tickets INTEGER
) RETURNS TABLE (outcome TEXT, failed_seat_no INTEGER, held_until TIMESTAMPTZ, held JSONB, effects JSONB)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    v_queue_id TEXT;
    v_seat_nos INTEGER[];
    v_prices INTEGER[];
    v_pick INTEGER[];
    v_held RECORD;
BEGIN
    SELECT c.queue_id INTO v_queue_id FROM concert c WHERE c.id = p_concert_id;
    IF v_queue_id IS NULL OR NOT EXISTS (
        SELECT 1 FROM schedule sc WHERE sc.id = p_schedule_id AND sc.concert_id = p_concert_id AND sc.starts_at > now()
    ) THEN
        RETURN QUERY SELECT 'SCHEDULE_NOT_FOUND', NULL::INTEGER, NULL::TIMESTAMPTZ, NULL::JSONB, NULL::JSONB;
        RETURN;
    END IF;
    PERFORM pg_advisory_xact_lock_shared(2, hashtext(v_queue_id)), pg_advisory_xact_lock(1, hashtext(p_user_id)),
            pg_advisory_xact_lock(3, hashtext(p_schedule_id::TEXT));
    FOR attempt IN 1..5 LOOP
        SELECT array_agg(s.seat_no ORDER BY s.seat_no), array_agg(s.price ORDER BY s.seat_no)
          INTO v_seat_nos, v_prices
          FROM seat s
         WHERE s.schedule_id = p_schedule_id
           AND (s.status = 'AVAILABLE' OR (s.status = 'HELD' AND s.hold_expires_at <= now()));
        v_pick := booking_pick_block(v_seat_nos, v_prices, p_quantity, p_max_price);
        EXIT WHEN v_pick IS NULL;
        SELECT * INTO v_held
          FROM booking_hold_seats(p_user_id, p_concert_id, p_schedule_id, v_pick, p_hold_seconds, p_max_holds,
                                  p_max_tickets);
        IF v_held.outcome <> 'SEAT_UNAVAILABLE' THEN
            RETURN QUERY SELECT v_held.outcome, v_held.failed_seat_no, v_held.held_until, v_held.held, v_held.effects;
            RETURN;
        END IF;
    END LOOP;
    RETURN QUERY SELECT 'NOT_ENOUGH_SEATS', NULL::INTEGER, NULL::TIMESTAMPTZ, NULL::JSONB, NULL::JSONB;
END
$$;
