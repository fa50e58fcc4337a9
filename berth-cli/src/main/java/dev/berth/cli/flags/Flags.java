package dev.berth.cli.flags;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The values of one flag table after parsing: what was given, or each flag's default.
 *
 * <p>Look a flag up by any of its names ({@code getString("bundle")} and {@code getString("b")} are
 * the same). Asking for a name the table does not have, or with the getter of another kind, is a
 * programming error and throws {@link IllegalArgumentException}.
 */
public final class Flags {

  private final List<FlagSpec> table;
  private final Object[] values;
  // Per flag, a bit per name it was given under: Go's flag package records names, and urfave/cli
  // rejects a flag
  // given under two of its names (-b x --bundle y) after parsing.
  private final int[] namesUsed;

  Flags(List<FlagSpec> table) {
    this.table = table;
    this.values = new Object[table.size()];
    this.namesUsed = new int[table.size()];
  }

  /** The table these values belong to, built-in flags included. */
  public List<FlagSpec> table() {
    return table;
  }

  /** Whether the flag was given on the command line (under any of its names). */
  public boolean isSet(String name) {
    return namesUsed[indexOf(name)] != 0;
  }

  /**
   * A {@link FlagSpec.Kind#STRING} flag: the last value given, else the default ({@code ""} when
   * none).
   */
  public String getString(String name) {
    return (String) value(name, FlagSpec.Kind.STRING);
  }

  /** A {@link FlagSpec.Kind#BOOL} flag: the last value given, else false. */
  public boolean getBool(String name) {
    return (Boolean) value(name, FlagSpec.Kind.BOOL);
  }

  /** A {@link FlagSpec.Kind#INT} flag: the last value given, else the default. */
  public int getInt(String name) {
    return (Integer) value(name, FlagSpec.Kind.INT);
  }

  /**
   * A {@link FlagSpec.Kind#UINT} flag, to be read as unsigned (see {@link
   * Long#toUnsignedString(long)}).
   */
  public long getUint(String name) {
    return (Long) value(name, FlagSpec.Kind.UINT);
  }

  /** A {@link FlagSpec.Kind#DURATION} flag: the last value given, else the default. */
  public Duration getDuration(String name) {
    return Duration.ofNanos((Long) value(name, FlagSpec.Kind.DURATION));
  }

  /**
   * A {@link FlagSpec.Kind#STRING_LIST} flag: every value given, in order; empty when not given.
   */
  @SuppressWarnings("unchecked")
  public List<String> getList(String name) {
    Object v = value(name, FlagSpec.Kind.STRING_LIST);
    return v instanceof ArrayList<?> given
        ? Collections.unmodifiableList((List<String>) given)
        : (List<String>) v;
  }

  /**
   * Records one occurrence of the flag at {@code index}, given under its {@code nameIndex}-th name.
   */
  @SuppressWarnings("unchecked")
  void set(int index, int nameIndex, Object value) {
    if (table.get(index).kind() == FlagSpec.Kind.STRING_LIST) {
      // Given values replace the default list rather than extend it: urfave/cli v1 appends to the
      // default,
      // which nobody wants and no runc flag depends on.
      ArrayList<String> list =
          values[index] instanceof ArrayList<?> l ? (ArrayList<String>) l : new ArrayList<>();
      list.add((String) value);
      values[index] = list;
    } else {
      values[index] = value;
    }
    namesUsed[index] |= 1 << nameIndex;
  }

  /**
   * The message urfave/cli gives when a flag was given under two of its names, or null. Its wording
   * names the later name of the table first: "Cannot use two forms of the same flag: b bundle".
   */
  String twoFormsError() {
    for (int i = 0; i < namesUsed.length; i++) {
      int used = namesUsed[i];
      if (Integer.bitCount(used) > 1) {
        List<String> names = table.get(i).names();
        int first = Integer.numberOfTrailingZeros(used);
        int second = Integer.numberOfTrailingZeros(used & ~(1 << first));
        return "Cannot use two forms of the same flag: "
            + names.get(second)
            + " "
            + names.get(first);
      }
    }
    return null;
  }

  /** The index of the flag called {@code name} in the table, or -1. */
  int find(String name) {
    for (int i = 0; i < table.size(); i++) {
      if (table.get(i).hasName(name)) {
        return i;
      }
    }
    return -1;
  }

  private int indexOf(String name) {
    int i = find(name);
    if (i < 0) {
      throw new IllegalArgumentException("look up flag " + name + ": not in this table");
    }
    return i;
  }

  private Object value(String name, FlagSpec.Kind kind) {
    int i = indexOf(name);
    FlagSpec spec = table.get(i);
    if (spec.kind() != kind) {
      throw new IllegalArgumentException(
          "read flag " + name + ": it is a " + spec.kind() + " flag, not a " + kind);
    }
    Object v = values[i];
    return v != null ? v : spec.defaultValue();
  }

  @Override
  public String toString() {
    StringBuilder b = new StringBuilder("Flags[");
    boolean first = true;
    for (int i = 0; i < table.size(); i++) {
      if (values[i] != null) {
        b.append(first ? "" : ", ").append(table.get(i).name()).append('=').append(values[i]);
        first = false;
      }
    }
    return b.append(']').toString();
  }
}
