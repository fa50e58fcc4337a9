package dev.berth.image.unpack;

import java.util.ArrayList;
import java.util.List;

/**
 * Tar entry names made relative to the layer root, lexically, or refused when they would leave it.
 */
final class EntryPath {
  private EntryPath() {}

  /**
   * The clean relative path of {@code name} ("" for the root itself): leading "/" and "./" dropped,
   * "." and empty components removed, ".." applied. A ".." that climbs above the root is an error
   * rather than clamped at the root (what containerd does): a layer that says "../x" is broken or
   * hostile, and unpacking it somewhere else than it says hides that.
   */
  static String clean(String name, String what) throws UnpackException {
    if (name.indexOf('\0') >= 0) throw new UnpackException(name, what + " contains a NUL byte");
    String plain = plain(name);
    return plain != null ? plain : resolve(name, what);
  }

  /**
   * {@code name} when it is clean already but for one trailing "/" (a directory's), as most entries
   * of most layers are: components none of which is empty, "." or "..". Else null.
   */
  private static String plain(String name) {
    int n = name.length();
    if (n > 1 && name.charAt(n - 1) == '/') n--;
    int start = 0;
    for (int i = 0; i <= n; i++) {
      if (i < n && name.charAt(i) != '/') continue;
      int len = i - start;
      if (len == 0) return null;
      if (name.charAt(start) == '.' && (len == 1 || (len == 2 && name.charAt(start + 1) == '.')))
        return null;
      start = i + 1;
    }
    return n == name.length() ? name : name.substring(0, n);
  }

  /** {@link #clean} of a name that is not {@link #plain}: component by component. */
  private static String resolve(String name, String what) throws UnpackException {
    List<String> parts = new ArrayList<>();
    int i = 0;
    int n = name.length();
    while (i <= n) {
      int j = name.indexOf('/', i);
      if (j < 0) j = n;
      String c = name.substring(i, j);
      if (c.equals("..")) {
        if (parts.isEmpty()) throw new UnpackException(name, what + " escapes the layer root");
        parts.remove(parts.size() - 1);
      } else if (!c.isEmpty() && !c.equals(".")) {
        parts.add(c);
      }
      i = j + 1;
    }
    return String.join("/", parts);
  }

  /** The parent of a clean path ("" for a top-level name). */
  static String parent(String clean) {
    int s = clean.lastIndexOf('/');
    return s < 0 ? "" : clean.substring(0, s);
  }

  /** The last component of a clean, non-empty path. */
  static String base(String clean) {
    return clean.substring(clean.lastIndexOf('/') + 1);
  }
}
