// Ponte JavaScript client SDK: see ../README.md.
export { PonteClient } from './client.js';
export { Room } from './room.js';
export { OutboxEntry, newClientMsgId } from './outbox.js';
export { PonteError, PonteTimeoutError, PonteClosedError, ErrorCode } from './errors.js';
export { CloseCode, closeAction, closeCodeName } from './close-codes.js';
export { Backoff } from './backoff.js';
export { Emitter } from './emitter.js';
export { pb, SUBPROTOCOL, encodeClientMessage, decodeServerMessage, enumName } from './proto.js';
