package io.ponte.server.room;

import com.google.protobuf.CodedOutputStream;
import io.ponte.protocol.v1.RoomStateRecord;
import java.io.IOException;

/**
 * A feature's fields of a snapshot record, captured on the room's context and encoded later on
 * any thread. Parts are concatenated: encoded protobuf messages concatenated parse as one message
 * holding all their fields, so each feature writes its own without knowing the others.
 */
public interface RecordPart {
  int serializedSize();

  void writeTo(CodedOutputStream out) throws IOException;

  /** A part that is a small record already built. */
  static RecordPart of(RoomStateRecord partial) {
    return new RecordPart() {
      @Override
      public int serializedSize() {
        return partial.getSerializedSize();
      }

      @Override
      public void writeTo(CodedOutputStream out) throws IOException {
        partial.writeTo(out);
      }
    };
  }
}
