import { Type, type Static } from 'typebox';
import { timestamp } from './common.js';

export const balance = Type.Object(
  { userId: Type.String(), balance: Type.Integer({ minimum: 0 }) },
  { title: 'Balance', additionalProperties: false },
);
export type Balance = Static<typeof balance>;

/** `POST /points/charge`; `maxCharge` is the configured MAX_CHARGE. */
export const chargeRequest = (maxCharge = 1_000_000) =>
  Type.Object(
    { amount: Type.Integer({ minimum: 1, maximum: maxCharge, description: 'Points to add', examples: [200_000] }) },
    { title: 'ChargeRequest', additionalProperties: false },
  );
export type ChargeRequest = Static<ReturnType<typeof chargeRequest>>;

export const ledgerEntry = Type.Object(
  {
    id: Type.String(),
    type: Type.Union([Type.Literal('CHARGE'), Type.Literal('USE'), Type.Literal('REFUND')]),
    amount: Type.Integer({ minimum: 0 }),
    balanceAfter: Type.Integer({ minimum: 0 }),
    createdAt: timestamp(),
  },
  { title: 'LedgerEntry', additionalProperties: false },
);
export type LedgerEntry = Static<typeof ledgerEntry>;
export const ledger = Type.Array(ledgerEntry, { title: 'Ledger' });
