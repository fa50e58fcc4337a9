package dev.berth.engine.container;

import dev.berth.engine.EngineException;
import dev.berth.spec.error.BerthException;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;

/**
 * docker's detach keys: the key sequence that, typed into an attached terminal, leaves the
 * container running and ends the attach ({@code --detach-keys}, the Docker API's {@code
 * detachKeys}). Shared by the {@code berth} CLI and the Docker API.
 *
 * @param keys the bytes the sequence types, at least one
 */
public record DetachKeys(byte[] keys) {
  /** docker's default: ctrl-p, ctrl-q. */
  public static final DetachKeys DEFAULT = new DetachKeys(new byte[] {16, 17});

  public DetachKeys {
    if (keys == null || keys.length == 0) throw new IllegalArgumentException("keys: empty");
    keys = keys.clone();
  }

  @Override
  public byte[] keys() {
    return keys.clone();
  }

  /**
   * docker's syntax: comma-separated keys, each a single character or {@code ctrl-<value>} where
   * value is a letter or one of {@code @ [ \ ] ^ _}; null or empty is {@link #DEFAULT}.
   *
   * @throws BerthException INVALID_ARGUMENT naming the spec and the key
   */
  public static DetachKeys parse(String spec) throws BerthException {
    if (spec == null || spec.isEmpty()) return DEFAULT;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (String key : spec.split(",", -1)) {
      int b = key(key);
      if (b < 0) {
        throw EngineException.invalid(
            "invalid detach keys '"
                + spec
                + "': unknown key '"
                + key
                + "'"
                + " (want ctrl-<a-z, @, [, \\, ], ^ or _> or a single character)");
      }
      out.write(b);
    }
    return new DetachKeys(out.toByteArray());
  }

  private static int key(String key) {
    if (key.length() == 1 && key.charAt(0) < 0x80) return key.charAt(0);
    String prefix = "ctrl-";
    if (key.length() != prefix.length() + 1 || !key.regionMatches(true, 0, prefix, 0, 5)) {
      return -1;
    }
    char c = Character.toLowerCase(key.charAt(prefix.length()));
    if (c >= 'a' && c <= 'z') return c - 'a' + 1;
    return switch (c) {
      case '@' -> 0;
      case '[' -> 27;
      case '\\' -> 28;
      case ']' -> 29;
      case '^' -> 30;
      case '_' -> 31;
      default -> -1;
    };
  }

  /**
   * Watches a stream of typed bytes for the sequence. Bytes that start the sequence are held until
   * it completes (then they are dropped: the session detaches) or a byte differs (then they pass on
   * unchanged, ahead of it).
   */
  public Watcher watcher() {
    return new Watcher(keys);
  }

  /**
   * What a read of typed bytes gives: the bytes to pass to the container, and whether to detach.
   */
  public record Scan(byte[] pass, boolean detach) {}

  /** One stream's watch for the sequence; not thread-safe. */
  public static final class Watcher {
    private final byte[] keys;
    private int matched;

    private Watcher(byte[] keys) {
      this.keys = keys;
    }

    /**
     * Scans {@code n} typed bytes of {@code in}: on detach, {@code pass} holds what came before the
     * sequence, and the rest is dropped.
     */
    public Scan scan(byte[] in, int n) {
      ByteArrayOutputStream pass = new ByteArrayOutputStream(n + keys.length);
      for (int i = 0; i < n; i++) {
        byte b = in[i];
        if (b != keys[matched] && matched > 0) {
          // The held start was no sequence: it goes on as typed, and this byte may start one.
          pass.write(keys, 0, matched);
          matched = 0;
        }
        if (b == keys[matched]) {
          if (++matched == keys.length) return new Scan(pass.toByteArray(), true);
        } else {
          pass.write(b);
        }
      }
      return new Scan(pass.toByteArray(), false);
    }

    /** The bytes held at the end of the input (a sequence begun but not finished). */
    public byte[] held() {
      byte[] h = Arrays.copyOf(keys, matched);
      matched = 0;
      return h;
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof DetachKeys d && Arrays.equals(keys, d.keys);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(keys);
  }

  @Override
  public String toString() {
    return "DetachKeys" + Arrays.toString(keys);
  }
}
