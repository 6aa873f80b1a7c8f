// Entry point: preferences, interface language, the invite, then the App.
import { setLanguage, defaultLanguage } from './i18n.js';
import { readInvite, tokenClaims } from './invite.js';
import { App } from './app.js';
import { noInviteScreen } from './ui/door.js';

const PREFS = 'ponte.prefs';

function loadPrefs() {
  let saved = {};
  try { saved = JSON.parse(localStorage.getItem(PREFS) || '{}'); } catch { saved = {}; }
  const prefs = { uiLanguage: null, lowBandwidth: false, postLanguage: null, ...saved };
  Object.defineProperty(prefs, 'set', {
    value(key, value) {
      prefs[key] = value;
      try { localStorage.setItem(PREFS, JSON.stringify({ ...prefs })); } catch { /* private mode */ }
    },
  });
  return prefs;
}

async function main() {
  const prefs = loadPrefs();
  try {
    await setLanguage(defaultLanguage(prefs.uiLanguage));
  } catch (err) {
    console.error(err);
    await setLanguage('en');
  }
  const root = document.getElementById('app');
  const invite = readInvite();
  if (!invite) {
    root.replaceChildren(noInviteScreen());
    return;
  }
  new App(root, invite, tokenClaims(invite.token), prefs).start();
}

main();
