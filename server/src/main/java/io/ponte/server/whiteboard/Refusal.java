package io.ponte.server.whiteboard;

import io.ponte.protocol.v1.ErrorCode;

/** Why a board operation does not take effect: a stable code and an English reason for logs. */
record Refusal(ErrorCode code, String reason) {}
