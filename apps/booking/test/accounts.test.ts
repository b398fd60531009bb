import { randomUUID } from 'node:crypto';
import t from 'tap';
import { buildStack } from './helper.js';

t.test('account routes take an identity token too, and nobody reaches another fan’s records', async (t) => {
  const stack = await buildStack(t);
  const { app, concert, schedules } = stack;
  const ann = await stack.fan('ann');
  const holdUrl = `/concerts/${concert.id}/schedules/${schedules[0]!.id}/reservations`;
  const held = (
    await app.inject({ method: 'POST', url: holdUrl, headers: ann.headers, payload: { seatNo: 3 } })
  ).json();
  await app.inject({ method: 'POST', url: '/points/charge', headers: ann.headers, payload: { amount: 500_000 } });
  const paid = await app.inject({
    method: 'POST',
    url: '/payments',
    headers: ann.headers,
    payload: { reservationId: held.reservationId },
  });
  t.equal(paid.statusCode, 201);
  t.equal(paid.headers.location, `/payments/${paid.json().paymentId}`, 'Location on 201');
  t.equal(
    (await app.inject({ method: 'GET', url: '/points', headers: ann.headers })).json().code,
    'TOKEN_EXPIRED',
    'the queue token ended with the payment',
  );

  const annSignedIn = await stack.signedIn('ann');
  const reservation = await app.inject({
    method: 'GET',
    url: `/reservations/${held.reservationId}`,
    headers: annSignedIn,
  });
  t.equal(reservation.statusCode, 200, 'with her identity token, ann still sees her ticket');
  t.match(reservation.json(), { status: 'CONFIRMED', paymentId: paid.json().paymentId });
  t.match((await app.inject({ method: 'GET', url: '/points', headers: annSignedIn })).json(), {
    userId: 'ann',
    balance: 500_000 - 150_000,
  });
  t.equal(
    (await app.inject({ method: 'GET', url: '/points/transactions', headers: annSignedIn })).json().length,
    2,
    'and her ledger',
  );

  // Mallory knows ann's ids but has only her own identity and her own queue token.
  const mallory = await stack.signedIn('mallory');
  const malloryQueue = (await stack.fan('mallory')).headers;
  for (const headers of [mallory, malloryQueue]) {
    const read = await app.inject({ method: 'GET', url: `/reservations/${held.reservationId}`, headers });
    t.same([read.statusCode, read.json().code], [404, 'RESERVATION_NOT_FOUND'], "another's reservation is not found");
    const cancel = await app.inject({ method: 'DELETE', url: `/reservations/${held.reservationId}`, headers });
    t.equal(cancel.statusCode, 404, 'nor can she cancel it');
    t.match((await app.inject({ method: 'GET', url: '/points', headers })).json(), { userId: 'mallory', balance: 0 });
  }
  const pay = await app.inject({
    method: 'POST',
    url: '/payments',
    headers: malloryQueue,
    payload: { reservationId: held.reservationId },
  });
  t.same([pay.statusCode, pay.json().code], [404, 'RESERVATION_NOT_FOUND'], 'nor pay with it');

  // Booking routes of a concert need a queue token, not an identity.
  const browse = await app.inject({
    method: 'GET',
    url: holdUrl.replace('/reservations', '/seats'),
    headers: annSignedIn,
  });
  t.same([browse.statusCode, browse.json().code], [401, 'TOKEN_INVALID'], 'an identity is not admission');
  const forged = await app.inject({
    method: 'GET',
    url: '/points',
    headers: { authorization: `Bearer a.${randomUUID()}.c` },
  });
  t.same([forged.statusCode, forged.json().code], [401, 'IDENTITY_INVALID']);
  t.equal(forged.headers['www-authenticate'], 'Bearer realm="concert"');
});
