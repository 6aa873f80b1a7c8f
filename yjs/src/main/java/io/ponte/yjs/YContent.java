package io.ponte.yjs;

import java.util.List;

/**
 * The content of an {@link YStruct.Item}: one of the nine Yjs content kinds. JSON, embed, format
 * values and {@code any} values are kept as their raw (validated) encodings and never interpreted.
 */
public sealed interface YContent {
  /** The content reference number (the low five bits of the struct info byte). */
  int ref();

  /** Length in clock units (UTF-16 code units for strings). */
  long length();

  /** Writes this content starting at {@code offset} clock units. */
  void write(Lib0Encoder enc, long offset);

  /** Splits at {@code offset}, returning the right part (this object is left unchanged). */
  YContent sliceRight(long offset);

  /** Ref 1: deleted content of a given length. */
  record Deleted(long len) implements YContent {
    public int ref() {
      return 1;
    }

    public long length() {
      return len;
    }

    public void write(Lib0Encoder enc, long offset) {
      enc.writeVarUint(len - offset);
    }

    public YContent sliceRight(long offset) {
      return new Deleted(len - offset);
    }
  }

  /** Ref 2: legacy JSON array content; each element is a raw var-string (JSON text or "undefined"). */
  record Json(List<byte[]> values) implements YContent {
    public int ref() {
      return 2;
    }

    public long length() {
      return values.size();
    }

    public void write(Lib0Encoder enc, long offset) {
      enc.writeVarUint(values.size() - offset);
      for (int i = (int) offset; i < values.size(); i++) {
        enc.writeVarUint8Array(values.get(i));
      }
    }

    public YContent sliceRight(long offset) {
      return new Json(List.copyOf(values.subList((int) offset, values.size())));
    }
  }

  /** Ref 3: binary content (one clock unit). */
  record Binary(byte[] bytes) implements YContent {
    public int ref() {
      return 3;
    }

    public long length() {
      return 1;
    }

    public void write(Lib0Encoder enc, long offset) {
      enc.writeVarUint8Array(bytes);
    }

    public YContent sliceRight(long offset) {
      throw new IllegalStateException("binary content cannot be split");
    }
  }

  /** Ref 4: string content; length and offsets count UTF-16 code units. */
  record Str(String str) implements YContent {
    public int ref() {
      return 4;
    }

    public long length() {
      return str.length();
    }

    public void write(Lib0Encoder enc, long offset) {
      // A lone low surrogate at the start is written as U+FFFD, as TextEncoder does in yjs.
      enc.writeVarString(offset == 0 ? str : str.substring((int) offset));
    }

    public YContent sliceRight(long offset) {
      String right = str.substring((int) offset);
      if (Character.isHighSurrogate(str.charAt((int) offset - 1))) {
        // yjs never splits a surrogate pair: both broken halves become U+FFFD.
        right = "\uFFFD" + right.substring(1);
      }
      return new Str(right);
    }
  }

  /** Ref 5: embed (a raw JSON var-string, one clock unit). */
  record Embed(byte[] json) implements YContent {
    public int ref() {
      return 5;
    }

    public long length() {
      return 1;
    }

    public void write(Lib0Encoder enc, long offset) {
      enc.writeVarUint8Array(json);
    }

    public YContent sliceRight(long offset) {
      throw new IllegalStateException("embed content cannot be split");
    }
  }

  /** Ref 6: format mark (key and raw JSON value, one clock unit, not countable). */
  record Format(String key, byte[] json) implements YContent {
    public int ref() {
      return 6;
    }

    public long length() {
      return 1;
    }

    public void write(Lib0Encoder enc, long offset) {
      enc.writeVarString(key);
      enc.writeVarUint8Array(json);
    }

    public YContent sliceRight(long offset) {
      throw new IllegalStateException("format content cannot be split");
    }
  }

  /**
   * Ref 7: a nested type. typeRef 0 Array, 1 Map, 2 Text, 3 XmlElement (with node name),
   * 4 XmlFragment, 5 XmlHook (with hook name), 6 XmlText.
   */
  record Type(int typeRef, String name) implements YContent {
    public static final int ARRAY = 0;
    public static final int MAP = 1;
    public static final int TEXT = 2;
    public static final int XML_ELEMENT = 3;
    public static final int XML_FRAGMENT = 4;
    public static final int XML_HOOK = 5;
    public static final int XML_TEXT = 6;

    public int ref() {
      return 7;
    }

    public long length() {
      return 1;
    }

    public void write(Lib0Encoder enc, long offset) {
      enc.writeVarUint(typeRef);
      if (typeRef == XML_ELEMENT || typeRef == XML_HOOK) {
        enc.writeVarString(name);
      }
    }

    public YContent sliceRight(long offset) {
      throw new IllegalStateException("type content cannot be split");
    }
  }

  /** Ref 8: array of lib0 {@code any} values, each kept as its raw encoding. */
  record Any(List<byte[]> values) implements YContent {
    public int ref() {
      return 8;
    }

    public long length() {
      return values.size();
    }

    public void write(Lib0Encoder enc, long offset) {
      enc.writeVarUint(values.size() - offset);
      for (int i = (int) offset; i < values.size(); i++) {
        enc.writeBytes(values.get(i));
      }
    }

    public YContent sliceRight(long offset) {
      return new Any(List.copyOf(values.subList((int) offset, values.size())));
    }
  }

  /** Ref 9: a sub-document (guid and raw {@code any}-encoded options, one clock unit). */
  record Doc(String guid, byte[] opts) implements YContent {
    public int ref() {
      return 9;
    }

    public long length() {
      return 1;
    }

    public void write(Lib0Encoder enc, long offset) {
      enc.writeVarString(guid);
      enc.writeBytes(opts);
    }

    public YContent sliceRight(long offset) {
      throw new IllegalStateException("doc content cannot be split");
    }
  }
}
