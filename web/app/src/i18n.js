// Interface strings: one JSON file per language in app/i18n (English is bundled, the others are
// fetched when picked), `t(key, {param})` with {param} placeholders.
import en from '../i18n/en.json';

/** Interface languages, each named in itself (the picker shows them so). */
export const UI_LANGUAGES = {
  en: 'English', nl: 'Nederlands', de: 'Deutsch', fr: 'Français', es: 'Español', it: 'Italiano', pl: 'Polski',
};

let table = en;
let current = 'en';
const listeners = new Set();

/** The stored choice, else the first browser language we have, else English. */
export function defaultLanguage(stored, browser = navigator.languages || [navigator.language]) {
  if (stored && UI_LANGUAGES[stored]) return stored;
  for (const tag of browser) {
    const base = String(tag || '').toLowerCase().split('-')[0];
    if (UI_LANGUAGES[base]) return base;
  }
  return 'en';
}

export async function setLanguage(lang) {
  if (!UI_LANGUAGES[lang]) lang = 'en';
  let next = en;
  if (lang !== 'en') {
    const res = await fetch(`i18n/${lang}.json`);
    if (!res.ok) throw new Error(`i18n/${lang}.json: HTTP ${res.status}`);
    next = await res.json();
  }
  table = next;
  current = lang;
  document.documentElement.lang = lang;
  for (const fn of listeners) fn(lang);
}

export function language() {
  return current;
}

export function onLanguageChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** The string for key in the current language (English when missing), placeholders filled. */
export function t(key, params) {
  let s = table[key] ?? en[key];
  if (s === undefined) return key;
  if (params) s = s.replace(/\{(\w+)\}/g, (m, p) => (p in params ? String(params[p]) : m));
  return s;
}

/** A language tag's name in the interface language ("nl" → "Dutch" / "Nederlands" / …). */
export function languageName(tag) {
  try {
    return new Intl.DisplayNames([current], { type: 'language' }).of(tag) || tag;
  } catch {
    return tag;
  }
}
