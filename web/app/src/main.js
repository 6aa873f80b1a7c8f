// Placeholder classroom app: connects with the invite link's token (URL fragment
// #room=...&token=..., never sent to a server) and shows the connection state. The classroom UI
// replaces this file.
import { PonteClient } from '../../sdk/src/index.js';

const stateEl = document.getElementById('state');
const params = new URLSearchParams(location.hash.slice(1));
const roomId = params.get('room');
const token = params.get('token');

function show(info) {
  stateEl.dataset.state = info.state;
  stateEl.textContent = info.state + (info.reason ? ` (${info.reason})` : '')
    + (info.retryInMs ? `, next try in ${Math.ceil(info.retryInMs / 1000)} s` : '');
}

if (!roomId || !token) {
  document.getElementById('hint').hidden = false;
} else {
  // Keep the token out of the address bar and history once read.
  history.replaceState(null, '', location.pathname + location.search);
  const client = new PonteClient({ token, clientName: 'ponte-web/0.1.0' });
  client.on('state', show);
  client.join(roomId).then(
    (room) => { stateEl.title = `${room.roomId} as ${room.role}`; },
    (err) => show({ state: 'closed', reason: err.message }),
  );
}
