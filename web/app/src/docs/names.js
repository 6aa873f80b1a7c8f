// Small pure helpers of the documents panel (tested in node: web/e2e/docs-units.test.mjs).

/** Doc ids follow the room id rule: 1-128 characters of [A-Za-z0-9._-]. */
export const DOC_ID = /^[A-Za-z0-9._-]{1,128}$/;

/**
 * A new document's id from its title: readable ("climate-notes-k3f9"), with a random tail so two
 * people creating "Notes" at once get two documents instead of DOC_EXISTS.
 */
export function docIdFromTitle(title, random = Math.random) {
  const base = String(title || '')
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/ł/g, 'l').replace(/Ł/g, 'L').replace(/ß/g, 'ss')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 48)
    .replace(/-+$/g, '');
  const tail = Math.floor(random() * 36 ** 4).toString(36).padStart(4, '0');
  return `${base || 'doc'}-${tail}`;
}

// Caret colours: white label text on each meets WCAG AA (4.5:1); the caret extension accepts
// only #rrggbb.
export const CARET_COLOURS = [
  '#0b5cad', '#b3261e', '#18794e', '#7c3aed', '#a34700', '#0f766e', '#9d174d', '#1e40af', '#6b4f00', '#5b21b6',
];

/** The same colour for a user on every screen and every visit. */
export function caretColour(userId) {
  let hash = 2166136261;
  for (const ch of String(userId || '')) {
    hash ^= ch.codePointAt(0);
    hash = Math.imul(hash, 16777619) >>> 0;
  }
  return CARET_COLOURS[hash % CARET_COLOURS.length];
}

/** ws(s)://this-host/hocuspocus: the server that served the app. */
export function hocuspocusUrl(loc = location) {
  return `${loc.protocol === 'https:' ? 'wss' : 'ws'}://${loc.host}/hocuspocus`;
}

/**
 * Who may change a document (PROTOCOL.md, co-created documents): teachers; students unless the
 * document is read-only for students; observers never.
 */
export function mayEdit(role, doc) {
  if (role === 'TEACHER') return true;
  if (role === 'STUDENT') return !(doc && doc.studentsReadOnly);
  return false;
}

/** Who may create documents: teachers; students when the room's student_permissions.documents. */
export function mayCreate(role, settings) {
  if (role === 'TEACHER') return true;
  return role === 'STUDENT' && Boolean(settings && settings.studentPermissions && settings.studentPermissions.documents);
}

/** Error codes about documents, with their numbers in errors.proto (the app's table lacks them). */
export const DOC_ERRORS = {
  DOC_READ_ONLY: 1304, DOC_NOT_FOUND: 1407, DOC_EXISTS: 1408, UPDATE_MALFORMED: 1409,
  UPDATE_TOO_LARGE: 1501, DOC_TOO_LARGE: 1502, TOO_MANY_DOCUMENTS: 1504,
};

/** "DOC_READ_ONLY: the document is ..." (a Hocuspocus refusal reason) → "DOC_READ_ONLY". */
export function reasonCode(reason) {
  const m = /^([A-Z][A-Z_]+)(?::|$)/.exec(String(reason || ''));
  return m ? m[1] : null;
}
