package dev.berth.image.unpack;

import java.io.IOException;

/**
 * A layer could not be unpacked: the message names the tar entry as the layer has it ({@code entry
 * "../x": path escapes the layer root}). The target directory is left as it was when the error
 * happened; discarding it is the caller's job (a snapshotter aborts its staging directory).
 */
public class UnpackException extends IOException {
  private static final long serialVersionUID = 1L;

  private final String entry;

  public UnpackException(String entry, String message, Throwable cause) {
    super(entry == null ? message : "entry " + quote(entry) + ": " + message, cause);
    this.entry = entry;
  }

  public UnpackException(String entry, String message) {
    this(entry, message, null);
  }

  /** The entry name as written in the tar, or null when the error is not about one entry. */
  public String entry() {
    return entry;
  }

  static String quote(String s) {
    StringBuilder b = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\\') b.append('\\').append(c);
      else if (c < 0x20 || c == 0x7f) b.append(String.format("\\x%02x", (int) c));
      else b.append(c);
    }
    return b.append('"').toString();
  }
}
