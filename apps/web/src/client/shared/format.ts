const points = new Intl.NumberFormat('en-GB');

/** `150,000 pts` */
export const formatPoints = (amount: number) => `${points.format(amount)} pts`;

/** `Sat 12 Dec 2026, 19:00` in the browser's time zone. */
export const formatDateTime = (iso: string) =>
  new Date(iso).toLocaleString('en-GB', {
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  });

/** `22 Nov, 19:04`: for tables on a phone. */
export const formatShortDateTime = (iso: string) =>
  new Date(iso).toLocaleString('en-GB', { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });

/** `19:04:05` */
export const formatTime = (iso: string) =>
  new Date(iso).toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit' });

/** A countdown: `4:05`, or `1:02:03` past an hour; never negative. */
export function formatCountdown(seconds: number): string {
  const total = Math.max(0, Math.floor(seconds));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const mm = h ? String(m).padStart(2, '0') : String(m);
  return `${h ? `${h}:` : ''}${mm}:${String(s).padStart(2, '0')}`;
}

/** A wait, short enough for a phone's stat box: `< 1 min`, `~3 min`, `~2 h`. */
export function formatWait(seconds: number): string {
  if (seconds < 60) return '< 1 min';
  const minutes = Math.round(seconds / 60);
  if (minutes < 90) return `~${minutes} min`;
  return `~${Math.round(minutes / 60)} h`;
}

/** `local-datetime` input value (`2026-12-12T19:00`) of an ISO time, in the browser's zone. */
export function toLocalInput(iso: string | null): string {
  if (!iso) return '';
  const date = new Date(iso);
  const local = new Date(date.getTime() - date.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 16);
}
