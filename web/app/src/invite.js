// The invite link: `/#room=<room>&token=<jwt>`. Both live in the fragment, which browsers never
// send to a server, so the token stays out of access logs. Once read, the token leaves the
// address bar (history.replaceState) and is kept in sessionStorage: a reload of this tab still
// works, a copied address carries no token.

const KEY = 'ponte.invite';

/** {room, token} from the fragment or this tab's storage, or null. Cleans the address bar. */
export function readInvite(loc = location, storage = sessionStorage, hist = history) {
  const params = new URLSearchParams(loc.hash.replace(/^#/, ''));
  const room = params.get('room');
  const token = params.get('token');
  if (room && token) {
    storage.setItem(KEY, JSON.stringify({ room, token }));
  }
  if (token || params.has('token')) {
    const keep = room ? `#room=${encodeURIComponent(room)}` : '';
    hist.replaceState(hist.state, '', loc.pathname + loc.search + keep);
  }
  let saved = null;
  try {
    saved = JSON.parse(storage.getItem(KEY) || 'null');
  } catch {
    saved = null;
  }
  if (saved && saved.room && saved.token && (!room || room === saved.room)) return saved;
  return null;
}

export function forgetInvite(storage = sessionStorage) {
  storage.removeItem(KEY);
}

/**
 * The token's claims, read without verifying (the server verifies; the app only shows the name
 * and role it will get). Null when the token does not decode.
 */
export function tokenClaims(token) {
  try {
    const part = token.split('.')[1];
    const b64 = part.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((part.length + 3) % 4);
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return null;
  }
}

/** The role the `rooms` claim gives in a room: an exact id beats a prefix, the longest prefix wins. */
export function roleInRoom(claims, room) {
  const rooms = (claims && claims.rooms) || {};
  if (rooms[room]) return String(rooms[room]).toUpperCase();
  let best = null;
  for (const [pattern, role] of Object.entries(rooms)) {
    if (pattern.endsWith('*') && room.startsWith(pattern.slice(0, -1))
      && (!best || pattern.length > best.length)) best = pattern;
  }
  return best ? String(rooms[best]).toUpperCase() : null;
}
