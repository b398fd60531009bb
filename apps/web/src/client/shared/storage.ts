/**
 * Small typed wrappers over sessionStorage: what a tab remembers across a reload (its sign-in,
 * its place in line, its holds) and forgets when it closes. Never localStorage: tokens and the
 * admin key must not outlive the tab.
 */
export function readSession<T>(key: string): T | null {
  try {
    const text = sessionStorage.getItem(key);
    return text ? (JSON.parse(text) as T) : null;
  } catch {
    return null;
  }
}

export function writeSession(key: string, value: unknown): void {
  if (value === null || value === undefined) sessionStorage.removeItem(key);
  else sessionStorage.setItem(key, JSON.stringify(value));
}
