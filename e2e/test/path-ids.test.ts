import { randomUUID } from 'node:crypto';
import t from 'tap';
import { seedDemoData, type Db } from '@concert/db';
import { ApiError, createBookingClient, createGatewayClient, type ApiResponse } from '@concert/contract';
import { setupTestContext, startStack, TEST_ADMIN_KEY } from '@concert/testing';

/**
 * Ids that name nothing, of every shape a client could send: empty, blank, too long for any id
 * (a queue id is at most 64 characters, a user id 128, the old schema limit was 200, the router's
 * 100), braces, a slash, and well-formed ids nobody issued.
 */
const NAMELESS = [
  '',
  ' ',
  'no such id',
  'x'.repeat(65),
  'x'.repeat(129),
  'x'.repeat(201),
  'x'.repeat(10_000),
  '{tag}',
  'ü/../x',
  randomUUID(),
];

/** The status and code a call fails with (a success fails the test). */
async function refusal(call: () => Promise<ApiResponse<unknown>> | AsyncGenerator<unknown>) {
  try {
    const result = call();
    if (Symbol.asyncIterator in result) await result.next();
    else await result;
  } catch (error) {
    if (error instanceof ApiError) return `${error.status} ${error.code}`;
    throw error;
  }
  return 'a success';
}

t.test('an id that names nothing is the route’s 404 whatever its shape, on every path parameter', async (t) => {
  const context = await setupTestContext(t, { database: true });
  const { concert } = await seedDemoData(context.db as Db);
  const stack = await startStack({ env: context.env, instances: { worker: 0 } });
  t.teardown(() => stack.stop());
  const gateway = createGatewayClient(stack.gateways[0]!);
  const admin = gateway.admin(TEST_ADMIN_KEY);
  const booking = createBookingClient(stack.bookings[0]!);

  // A fan admitted at once (open queue, room, nobody ahead): every booking route is open to them.
  const queueId = concert.queueId;
  await admin.putQueue(queueId, { maxActive: 10 });
  const identity = await context.identityToken('ann');
  const { data: joined } = await gateway.joinQueue(queueId, identity);
  t.equal(joined.status, 'ACTIVE', 'the fan is active');
  const token = joined.token;
  const [schedule] = (await booking.listSchedules(token, concert.id)).data;
  const scheduleId = schedule!.id;
  t.equal((await booking.listSeats(token, concert.id, scheduleId)).status, 200, 'real ids answer 200');

  const expectations: [string, (id: string) => Promise<ApiResponse<unknown>> | AsyncGenerator<unknown>, string][] = [
    ['join: queueId', (id) => gateway.joinQueue(id, identity), '404 QUEUE_NOT_FOUND'],
    ['public figures: queueId', (id) => gateway.getQueue(id), '404 QUEUE_NOT_FOUND'],
    ['admin overview: queueId', (id) => admin.getQueue(id), '404 QUEUE_NOT_FOUND'],
    ['revoke: queueId', (id) => admin.revokeUser(id, 'ann'), '404 TOKEN_NOT_FOUND'],
    ['revoke: userId', (id) => admin.revokeUser(queueId, id), '404 TOKEN_NOT_FOUND'],
    // Routes with no 404 answer what they answer a token of another queue.
    ['poll: queueId', (id) => gateway.pollToken(id, token), '401 TOKEN_INVALID'],
    ['event stream: queueId', (id) => gateway.streamToken(id, token), '401 TOKEN_INVALID'],
    ['leave: queueId', (id) => gateway.leaveQueue(id, token), '401 TOKEN_INVALID'],
    ['schedules: concertId', (id) => booking.listSchedules(token, id), '404 CONCERT_NOT_FOUND'],
    ['seats: concertId', (id) => booking.listSeats(token, id, scheduleId), '404 CONCERT_NOT_FOUND'],
    ['seats: scheduleId', (id) => booking.listSeats(token, concert.id, id), '404 SCHEDULE_NOT_FOUND'],
    ['hold: concertId', (id) => booking.holdSeats(token, id, scheduleId, { seatNo: 1 }), '404 CONCERT_NOT_FOUND'],
    ['hold: scheduleId', (id) => booking.holdSeats(token, concert.id, id, { seatNo: 1 }), '404 SCHEDULE_NOT_FOUND'],
    ['reservation: reservationId', (id) => booking.getReservation(token, id), '404 RESERVATION_NOT_FOUND'],
    ['cancel: reservationId', (id) => booking.cancelReservation(token, id), '404 RESERVATION_NOT_FOUND'],
    ['payment: paymentId', (id) => booking.getPayment(token, id), '404 PAYMENT_NOT_FOUND'],
    ['refund: paymentId', (id) => booking.refundPayment(token, id), '404 PAYMENT_NOT_FOUND'],
    // The same holds for ids in a body.
    ['pay: reservationId', (id) => booking.payReservations(token, { reservationId: id }), '404 RESERVATION_NOT_FOUND'],
    [
      'pay: reservationIds',
      (id) => booking.payReservations(token, { reservationIds: [id] }),
      '404 RESERVATION_NOT_FOUND',
    ],
  ];
  for (const [what, call, expected] of expectations) {
    const answers = await Promise.all(NAMELESS.map((id) => refusal(() => call(id))));
    const wrong = NAMELESS.map((id, i) => [id.length > 20 ? `${id.slice(0, 8)}… (${id.length})` : id, answers[i]])
      .filter(([, answer]) => answer !== expected)
      .map(([id, answer]) => `${JSON.stringify(id)}: ${answer}`);
    t.same(wrong, [], `${what}: ${expected} for every nameless id`);
  }

  // Creating a queue takes the operator's choice of id: one that cannot be a queue id is invalid.
  t.equal(await refusal(() => admin.putQueue('x'.repeat(65), {})), '400 VALIDATION_ERROR', 'a new queue id is checked');
  t.equal((await gateway.pollToken(queueId, token)).data.status, 'ACTIVE', 'none of it touched the fan');

  const refused = await fetch(`${stack.gateways[0]}/queues/${'x'.repeat(20_000)}`);
  t.equal(refused.status, 431, 'an id longer than a request may carry: Node refuses the request');
  t.equal(((await refused.json()) as { code: string }).code, 'HEADERS_TOO_LARGE');
  const unreadable = await fetch(`${stack.bookings[0]}/reservations/%zz`, {
    headers: { authorization: `Bearer ${token}` },
  });
  t.equal(unreadable.status, 400, 'a path that is not valid percent-encoding');
  t.match(await unreadable.json(), { statusCode: 400, code: 'BAD_REQUEST', error: 'Bad Request', message: /%zz/ });
  t.ok(unreadable.headers.get('x-request-id'), 'with a request id, like every answer');
});
