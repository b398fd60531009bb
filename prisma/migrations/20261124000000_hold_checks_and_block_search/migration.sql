-- Holds: one definition of the checks a hold may fail (shared by the hold and the quick refusal
-- before it), best available that keeps picking while any block is left, and a pick that reads a
-- date's free seats in seat order only as far as it needs (a stadium's date costs what its front
-- costs, not its size).

-- CreateIndex (a date's unsold seats in seat order: best available never reads the sold ones)
CREATE INDEX "seat_schedule_id_seat_no_idx" ON "seat"("schedule_id", "seat_no") WHERE status <> 'SOLD';

/*
 * Why a hold of seats `p_seat_nos` (any order) of date `p_schedule_id` would be refused, from the
 * seats as they are now; outcome NULL when nothing stands in the way. The checks, in order: the
 * date is a future date of concert `p_concert_id` (SCHEDULE_NOT_FOUND); every seat exists
 * (SEAT_NOT_FOUND, the lowest missing); every seat is free, i.e. AVAILABLE or HELD with its hold
 * over (SEAT_UNAVAILABLE, the lowest taken). With no seats named, only the date is checked.
 * booking_hold_seats asks it with the seats locked; a request is refused by it before any lock
 * too, so both answers are the same for the same seats.
 */
CREATE FUNCTION booking_hold_refusal(p_concert_id UUID, p_schedule_id UUID, p_seat_nos INTEGER[])
RETURNS TABLE (outcome TEXT, failed_seat_no INTEGER)
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN NOT d.scheduled THEN 'SCHEDULE_NOT_FOUND'
                WHEN c.missing IS NOT NULL THEN 'SEAT_NOT_FOUND'
                WHEN c.taken IS NOT NULL THEN 'SEAT_UNAVAILABLE' END,
           CASE WHEN d.scheduled THEN coalesce(c.missing, c.taken) END
      FROM (SELECT EXISTS (SELECT 1 FROM schedule sc
                            WHERE sc.id = p_schedule_id AND sc.concert_id = p_concert_id AND sc.starts_at > now())
                   AS scheduled) d,
           (SELECT min(n) FILTER (WHERE s.id IS NULL) AS missing,
                   min(n) FILTER (WHERE s.status = 'SOLD' OR (s.status = 'HELD' AND s.hold_expires_at > now())) AS taken
              FROM unnest(coalesce(p_seat_nos, '{}')) AS n
              LEFT JOIN seat s ON s.schedule_id = p_schedule_id AND s.seat_no = n) c
$$;

/*
 * Every block of `p_quantity` consecutive free seats of a date (all priced at most `p_max_price`
 * when not NULL), by its first seat, lowest first, and whether taking it strands a free seat: leaves
 * one alone between taken seats, or between a taken seat and the end of the row (a seat number
 * that does not exist counts as an end). Seats of any price count as free neighbours.
 *
 * Gaps and islands in one pass over the date's free seats in seat order (the partial index above):
 * a block starting at seat f is whole when the free seat p_quantity - 1 rows on is f + p_quantity
 * - 1; it strands the seat before it when f - 1 is free and f - 2 is not, the seat after it likewise.
 * Only the innermost query is ordered and nothing above it sorts, so a caller's LIMIT reaches the
 * index scan: reading stops at the first block the caller takes (see booking_pick_block).
 */
CREATE FUNCTION booking_free_blocks(p_schedule_id UUID, p_quantity INTEGER, p_max_price INTEGER)
RETURNS TABLE (first_seat_no INTEGER, strands BOOLEAN)
LANGUAGE sql STABLE AS $$
    SELECT f.seat_no, f.strands
      FROM (SELECT s.seat_no,
                   lead(s.seat_no, p_quantity - 1) OVER w = s.seat_no + p_quantity - 1 AS whole,
                   max(s.price) OVER (w ROWS BETWEEN CURRENT ROW AND p_quantity - 1 FOLLOWING) AS dearest,
                   coalesce(lag(s.seat_no, 1) OVER w = s.seat_no - 1
                            AND lag(s.seat_no, 2) OVER w IS DISTINCT FROM s.seat_no - 2, false)
                   OR coalesce(lead(s.seat_no, p_quantity) OVER w = s.seat_no + p_quantity
                               AND lead(s.seat_no, p_quantity + 1) OVER w IS DISTINCT FROM s.seat_no + p_quantity + 1,
                               false) AS strands
              FROM seat s
             WHERE s.schedule_id = p_schedule_id AND s.status <> 'SOLD'
               AND (s.status = 'AVAILABLE' OR s.hold_expires_at <= now())
            WINDOW w AS (ORDER BY s.seat_no)
             ORDER BY s.seat_no) f
     WHERE f.whole AND (p_max_price IS NULL OR f.dearest <= p_max_price)
$$;

-- The pick over arrays of every free seat of a date is replaced by one over the date itself.
DROP FUNCTION booking_pick_block(INTEGER[], INTEGER[], INTEGER, INTEGER);

/*
 * The best `p_quantity` consecutive free seats of a date, or NULL when no block fits
 * (booking_free_blocks): the lowest block that strands no seat, else the lowest block. Reads the
 * date's free seats up to the block it returns (all of them only when no block fits, or every
 * block strands one).
 *
 * Sorting is off for its queries: the seats must come from the index in seat order, or the LIMIT
 * cannot stop the read. Estimates can make sorting look cheaper (a new date not yet analysed, a
 * stadium among small halls), and then every pick would read and sort the whole date.
 */
CREATE FUNCTION booking_pick_block(p_schedule_id UUID, p_quantity INTEGER, p_max_price INTEGER)
RETURNS INTEGER[]
LANGUAGE plpgsql STABLE
SET enable_sort = off
AS $$
DECLARE
    v_first INTEGER;
BEGIN
    SELECT b.first_seat_no INTO v_first
      FROM booking_free_blocks(p_schedule_id, p_quantity, p_max_price) b WHERE NOT b.strands LIMIT 1;
    IF v_first IS NULL THEN
        SELECT b.first_seat_no INTO v_first FROM booking_free_blocks(p_schedule_id, p_quantity, p_max_price) b LIMIT 1;
    END IF;
    IF v_first IS NULL THEN
        RETURN NULL;
    END IF;
    RETURN ARRAY(SELECT generate_series(v_first, v_first + p_quantity - 1));
END
$$;

/*
 * As in booking_v2 (see there), with the refusals of booking_hold_refusal: the seats are locked
 * first (in seat order, and only on a future date of the concert), then checked.
 */
CREATE OR REPLACE FUNCTION booking_hold_seats(
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
    v_refused RECORD;
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

    SELECT (count(*) FILTER (WHERE l.status = 'AVAILABLE'))::INTEGER INTO v_freed
      FROM (SELECT s.status FROM seat s
              JOIN schedule sc ON sc.id = s.schedule_id AND sc.concert_id = p_concert_id AND sc.starts_at > now()
             WHERE s.schedule_id = p_schedule_id AND s.seat_no = ANY (p_seat_nos)
             ORDER BY s.seat_no
               FOR UPDATE OF s) l;
    -- A statement of its own, so it reads the seats as locked (READ COMMITTED: a new snapshot).
    SELECT * INTO v_refused FROM booking_hold_refusal(p_concert_id, p_schedule_id, p_seat_nos);
    IF v_refused.outcome IS NOT NULL THEN
        RETURN QUERY SELECT v_refused.outcome, v_refused.failed_seat_no, NULL::TIMESTAMPTZ, NULL::JSONB, NULL::JSONB;
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
 * As in booking_v2 (see there), except that a pick lost to a named hold is made again for as long
 * as any block is left: each loss means a picked seat was taken in the meantime, which the next
 * pick (a new snapshot) sees, so the loop ends with a hold, another refusal, or no block left.
 */
CREATE OR REPLACE FUNCTION booking_hold_best(
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
    v_pick INTEGER[];
    v_held RECORD;
BEGIN
    SELECT c.queue_id INTO v_queue_id FROM concert c WHERE c.id = p_concert_id;
    IF v_queue_id IS NULL
       OR (SELECT r.outcome FROM booking_hold_refusal(p_concert_id, p_schedule_id, NULL) r) IS NOT NULL THEN
        RETURN QUERY SELECT 'SCHEDULE_NOT_FOUND', NULL::INTEGER, NULL::TIMESTAMPTZ, NULL::JSONB, NULL::JSONB;
        RETURN;
    END IF;
    PERFORM pg_advisory_xact_lock_shared(2, hashtext(v_queue_id)), pg_advisory_xact_lock(1, hashtext(p_user_id)),
            pg_advisory_xact_lock(3, hashtext(p_schedule_id::TEXT));
    LOOP
        v_pick := booking_pick_block(p_schedule_id, p_quantity, p_max_price);
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
