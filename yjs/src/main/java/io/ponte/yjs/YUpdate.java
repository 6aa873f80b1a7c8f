package io.ponte.yjs;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** A decoded Yjs V1 update: its structs in encoded order (including Skips) and its delete set. */
public final class YUpdate {
  private final List<YStruct> structs;
  private final YDeleteSet deleteSet;

  YUpdate(List<YStruct> structs, YDeleteSet deleteSet) {
    this.structs = structs;
    this.deleteSet = deleteSet;
  }

  public List<YStruct> structs() {
    return Collections.unmodifiableList(structs);
  }

  List<YStruct> structsInternal() {
    return structs;
  }

  public YDeleteSet deleteSet() {
    return deleteSet;
  }

  /**
   * Decodes a V1 update. Bytes after the delete set are ignored (as yjs does).
   *
   * @throws YUpdateException if the update is malformed
   */
  public static YUpdate decode(byte[] update) {
    Lib0Decoder d = new Lib0Decoder(update);
    List<YStruct> structs = readStructs(d);
    YDeleteSet ds = YDeleteSet.read(d);
    return new YUpdate(structs, ds);
  }

  static List<YStruct> readStructs(Lib0Decoder d) {
    List<YStruct> out = new ArrayList<>();
    long numClients = d.readVarUint();
    for (long i = 0; i < numClients; i++) {
      long numStructs = d.readVarUint();
      long client = d.readVarUint();
      long clock = d.readVarUint();
      for (long j = 0; j < numStructs; j++) {
        YStruct s = readStruct(d, client, clock);
        out.add(s);
        clock += s.length;
        if (clock > Lib0Decoder.MAX_SAFE_INTEGER) {
          throw new YUpdateException("clock of client " + client + " out of range");
        }
      }
    }
    return out;
  }

  private static YStruct readStruct(Lib0Decoder d, long client, long clock) {
    int info = d.readUint8();
    if (info == 10) {
      return new YStruct.Skip(client, clock, d.readVarUint());
    }
    int ref = info & 0x1f;
    if (ref == 0) {
      return new YStruct.Gc(client, clock, d.readVarUint());
    }
    YId origin = (info & 0x80) != 0 ? readId(d) : null;
    YId rightOrigin = (info & 0x40) != 0 ? readId(d) : null;
    String parentKey = null;
    YId parentId = null;
    String parentSub = null;
    boolean cantCopyParentInfo = (info & 0xc0) == 0;
    if (cantCopyParentInfo) {
      if (d.readVarUint() == 1) {
        parentKey = d.readVarString();
      } else {
        parentId = readId(d);
      }
      if ((info & 0x20) != 0) {
        parentSub = d.readVarString();
      }
    }
    YContent content = readContent(d, ref);
    return new YStruct.Item(client, clock, origin, rightOrigin, parentKey, parentId, parentSub, content);
  }

  private static YId readId(Lib0Decoder d) {
    long client = d.readVarUint();
    long clock = d.readVarUint();
    return new YId(client, clock);
  }

  private static YContent readContent(Lib0Decoder d, int ref) {
    switch (ref) {
      case 1:
        return new YContent.Deleted(d.readVarUint());
      case 2: {
        long n = d.readVarUint();
        List<byte[]> values = new ArrayList<>();
        for (long i = 0; i < n; i++) {
          values.add(d.readVarStringBytes());
        }
        return new YContent.Json(values);
      }
      case 3:
        return new YContent.Binary(d.readVarUint8Array());
      case 4:
        return new YContent.Str(d.readVarString());
      case 5:
        return new YContent.Embed(d.readVarStringBytes());
      case 6: {
        String key = d.readVarString();
        return new YContent.Format(key, d.readVarStringBytes());
      }
      case 7: {
        long typeRef = d.readVarUint();
        if (typeRef > 6) {
          throw new YUpdateException("unknown type reference " + typeRef);
        }
        String name = null;
        if (typeRef == YContent.Type.XML_ELEMENT || typeRef == YContent.Type.XML_HOOK) {
          name = d.readVarString();
        }
        return new YContent.Type((int) typeRef, name);
      }
      case 8: {
        long n = d.readVarUint();
        List<byte[]> values = new ArrayList<>();
        for (long i = 0; i < n; i++) {
          values.add(d.readAnyRaw());
        }
        return new YContent.Any(values);
      }
      case 9: {
        String guid = d.readVarString();
        return new YContent.Doc(guid, d.readAnyRaw());
      }
      default:
        throw new YUpdateException("unknown content reference " + ref);
    }
  }
}
