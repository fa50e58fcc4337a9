package dev.berth.engine.network.cni;

import dev.berth.spec.error.BerthException;
import dev.berth.spec.error.ErrorCategory;

/**
 * A CNI operation failed: a plugin's error ({@code {"code","msg","details"}} on its stdout), its
 * crash or timeout, or a plugin that is not there. The message is one line naming the network, the
 * plugin and the command, e.g. {@code network berth: plugin bridge ADD: failed to allocate for
 * range 0: no IP addresses available (code 11)}.
 */
public final class CniException extends BerthException {
  private static final long serialVersionUID = 1L;

  /** No code: the plugin crashed, timed out or could not be started. */
  public static final int NO_CODE = -1;

  private final String network;
  private final String plugin;
  private final int code;

  public CniException(
      ErrorCategory category, String network, String plugin, int code, String message) {
    super(category, oneLine(message));
    this.network = network;
    this.plugin = plugin;
    this.code = code;
  }

  /** The network whose config was executed. */
  public String network() {
    return network;
  }

  /** The plugin type (binary name) that failed; null when the failure was not a plugin's. */
  public String plugin() {
    return plugin;
  }

  /**
   * The CNI error code the plugin returned (the spec's 1-11, 100+ its own), or {@link #NO_CODE}.
   */
  public int code() {
    return code;
  }

  /** Whitespace runs (a plugin's multi-line message or stderr) as one space: one line per error. */
  static String oneLine(String s) {
    return s.strip().replaceAll("\\s*[\\r\\n]+\\s*", "; ");
  }
}
