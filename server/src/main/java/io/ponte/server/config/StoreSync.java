package io.ponte.server.config;

/** SQLite {@code PRAGMA synchronous} mode used by the store. */
public enum StoreSync {
  /** fsync on every commit: durable across power loss. */
  FULL,
  /** fewer fsyncs (WAL): durable across process crashes, may lose recent commits on power loss. */
  NORMAL
}
