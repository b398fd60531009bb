import { useState } from 'preact/hooks';
import type { QueueFigures } from '@concert/contract';
import { checkDraw, type DrawCheck } from './draw.js';

/**
 * "Verify the draw", once a lobby has opened and its seed is public: the seed against the
 * commitment published before the opening, and the fan's own draw value. Anyone may check, so it
 * is offered wherever the queue's figures are shown (a concert's card, the line, the turn);
 * nothing while no seed is published.
 */
export function VerifyDraw(props: { figures: QueueFigures | null | undefined; userId: string }) {
  const [check, setCheck] = useState<DrawCheck | null>(null);
  const seed = props.figures?.shuffleSeed;
  const commitment = props.figures?.shuffleCommitment;
  if (!seed || !commitment) return null;
  return (
    <details
      class="verify"
      onToggle={(event) => {
        if (event.currentTarget.open && !check) void checkDraw(seed, commitment, props.userId).then(setCheck);
      }}
    >
      <summary>Verify the draw</summary>
      <p class="small">
        Before the sale opened, the organiser published a commitment (SHA-256 of a secret seed). Now the seed is
        revealed: the lobby's order is everyone's HMAC-SHA256(seed, user id), lowest first.
      </p>
      <p class="small">
        Seed: <code class="hash">{seed}</code>
      </p>
      <p class="small">
        Commitment: <code class="hash">{commitment}</code>
      </p>
      {check && (
        <div class="verify__result" role="status">
          <p>
            {check.commitmentMatches
              ? '✓ The seed matches the commitment made before the opening.'
              : '✗ The seed does NOT match the published commitment.'}
          </p>
          <p class="small">
            Your draw value: <code class="hash verify__value">{check.drawValue}</code>
          </p>
        </div>
      )}
    </details>
  );
}
