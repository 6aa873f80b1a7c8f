package io.ponte.yjs;

/**
 * A struct of a Yjs update: an {@link Item}, a {@link Gc} (garbage-collected range) or a
 * {@link Skip} (a gap in an update). Clocks and lengths are longs (clocks may pass 2^31).
 */
public abstract sealed class YStruct {
  final long client;
  final long clock;
  long length;

  YStruct(long client, long clock, long length) {
    this.client = client;
    this.clock = clock;
    this.length = length;
  }

  public long client() {
    return client;
  }

  public long clock() {
    return clock;
  }

  public long length() {
    return length;
  }

  /** The clock just after this struct. */
  public long end() {
    return clock + length;
  }

  /** Writes this struct (info byte onwards) starting at {@code offset} clock units. */
  abstract void write(Lib0Encoder enc, long offset);

  /** The right part of this struct from {@code diff} clock units on. */
  abstract YStruct sliceRight(long diff);

  /** Struct info 0: a garbage-collected range. */
  public static final class Gc extends YStruct {
    public Gc(long client, long clock, long length) {
      super(client, clock, length);
    }

    @Override
    void write(Lib0Encoder enc, long offset) {
      enc.writeUint8(0);
      enc.writeVarUint(length - offset);
    }

    @Override
    YStruct sliceRight(long diff) {
      return new Gc(client, clock + diff, length - diff);
    }

    @Override
    public String toString() {
      return "GC(" + client + ":" + clock + ",len " + length + ")";
    }
  }

  /** Struct info 10: a range this update does not describe. */
  public static final class Skip extends YStruct {
    public Skip(long client, long clock, long length) {
      super(client, clock, length);
    }

    @Override
    void write(Lib0Encoder enc, long offset) {
      enc.writeUint8(10);
      enc.writeVarUint(length - offset);
    }

    @Override
    YStruct sliceRight(long diff) {
      return new Skip(client, clock + diff, length - diff);
    }

    @Override
    public String toString() {
      return "Skip(" + client + ":" + clock + ",len " + length + ")";
    }
  }

  /**
   * An item. The parent is only present when neither origin nor right origin is: then either
   * {@link #parentKey()} (a root type name) or {@link #parentId()} (the id of the parent type's
   * item) is set, and {@link #parentSub()} is the map key if any.
   */
  public static final class Item extends YStruct {
    private final YId origin;
    private final YId rightOrigin;
    private final String parentKey;
    private final YId parentId;
    private final String parentSub;
    private final YContent content;

    public Item(long client, long clock, YId origin, YId rightOrigin, String parentKey, YId parentId,
        String parentSub, YContent content) {
      super(client, clock, content.length());
      this.origin = origin;
      this.rightOrigin = rightOrigin;
      this.parentKey = parentKey;
      this.parentId = parentId;
      this.parentSub = parentSub;
      this.content = content;
    }

    public YId origin() {
      return origin;
    }

    public YId rightOrigin() {
      return rightOrigin;
    }

    public String parentKey() {
      return parentKey;
    }

    public YId parentId() {
      return parentId;
    }

    public String parentSub() {
      return parentSub;
    }

    public YContent content() {
      return content;
    }

    @Override
    void write(Lib0Encoder enc, long offset) {
      YId o = offset > 0 ? new YId(client, clock + offset - 1) : origin;
      int info = (content.ref() & 0x1f)
          | (o == null ? 0 : 0x80)
          | (rightOrigin == null ? 0 : 0x40)
          | (parentSub == null ? 0 : 0x20);
      enc.writeUint8(info);
      if (o != null) {
        enc.writeVarUint(o.client()).writeVarUint(o.clock());
      }
      if (rightOrigin != null) {
        enc.writeVarUint(rightOrigin.client()).writeVarUint(rightOrigin.clock());
      }
      if (o == null && rightOrigin == null) {
        if (parentKey != null) {
          enc.writeVarUint(1).writeVarString(parentKey);
        } else if (parentId != null) {
          enc.writeVarUint(0).writeVarUint(parentId.client()).writeVarUint(parentId.clock());
        } else {
          throw new IllegalStateException("item " + client + ":" + clock + " has no parent");
        }
        if (parentSub != null) {
          enc.writeVarString(parentSub);
        }
      }
      content.write(enc, offset);
    }

    @Override
    YStruct sliceRight(long diff) {
      return new Item(client, clock + diff, new YId(client, clock + diff - 1), rightOrigin,
          parentKey, parentId, parentSub, content.sliceRight(diff));
    }

    @Override
    public String toString() {
      return "Item(" + client + ":" + clock + ",len " + length + "," + content.getClass().getSimpleName() + ")";
    }
  }
}
