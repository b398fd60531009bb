import { Type } from 'typebox';
import { timestamp } from './common.js';

export const balance = Type.Object({ userId: Type.String(), balance: Type.Integer() });

export const chargeBody = (maxCharge: number) =>
  Type.Object({ amount: Type.Integer({ minimum: 1, maximum: maxCharge }) }, { additionalProperties: false });

export const ledger = Type.Array(
  Type.Object({
    id: Type.String(),
    type: Type.Union([Type.Literal('CHARGE'), Type.Literal('USE')]),
    amount: Type.Integer(),
    balanceAfter: Type.Integer(),
    createdAt: timestamp,
  }),
);
