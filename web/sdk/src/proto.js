// The protocol's messages (generated from the .proto files by scripts/gen.mjs) and the binary
// codec of the `ponte.v1.proto` subprotocol: one ClientMessage / ServerMessage per frame.
import './longs.js';
import { ponte } from '../gen/ponte.js';

/** The generated `ponte.v1` namespace: message classes (ClientMessage, Event, ...) and enums. */
export const pb = ponte.v1;

/** The WebSocket subprotocol the SDK speaks. */
export const SUBPROTOCOL = 'ponte.v1.proto';

/**
 * Encodes a ClientMessage (a plain object with camelCase fields is fine).
 * @param {object} message
 * @returns {Uint8Array}
 */
export function encodeClientMessage(message) {
  return pb.ClientMessage.encode(message).finish();
}

/**
 * Decodes one binary frame from the server.
 * @param {Uint8Array} bytes
 * @returns {ponte.v1.ServerMessage}
 */
export function decodeServerMessage(bytes) {
  return pb.ServerMessage.decode(bytes);
}

/**
 * The name of an enum value, e.g. enumName(pb.Role, 1) === 'TEACHER'.
 * @param {object} enumObject a generated enum (name -> number, number -> name)
 * @param {number} value
 * @returns {string|undefined}
 */
export function enumName(enumObject, value) {
  const name = enumObject[value];
  return typeof name === 'string' ? name : undefined;
}
