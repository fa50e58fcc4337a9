package dev.berth.engine.container;

import dev.berth.engine.EngineException;

/**
 * docker's restart policy ({@code --restart}, HostConfig.RestartPolicy): what the engine does when
 * the container exits on its own. A container its user stopped stays stopped whatever the policy;
 * "unless-stopped" also stays stopped across an engine start (berthd's) after such a stop.
 *
 * @param name "no", "always", "unless-stopped" or "on-failure"
 * @param maxRetries for "on-failure": restarts at most this many times in a row (0: no limit)
 */
public record RestartPolicy(String name, int maxRetries) {
  public static final RestartPolicy NO = new RestartPolicy("no", 0);

  public RestartPolicy {
    if (name == null || name.isEmpty()) name = "no";
  }

  /**
   * Parses {@code --restart}'s value: {@code no}, {@code always}, {@code unless-stopped}, {@code
   * on-failure[:N]}; errors as docker's.
   */
  public static RestartPolicy parse(String text) throws EngineException {
    if (text == null || text.isEmpty()) return NO;
    int colon = text.indexOf(':');
    String name = colon < 0 ? text : text.substring(0, colon);
    int max = 0;
    if (colon >= 0) {
      if (name.isEmpty()) {
        throw EngineException.invalid(
            "invalid restart policy format: no policy provided before colon");
      }
      try {
        max = Integer.parseInt(text.substring(colon + 1));
      } catch (NumberFormatException e) {
        throw EngineException.invalid(
            "invalid restart policy format: maximum retry count must be an integer");
      }
    }
    return of(name, max);
  }

  /** The policy {@code name} with {@code maxRetries}, checked as docker's daemon does. */
  public static RestartPolicy of(String name, int maxRetries) throws EngineException {
    switch (name) {
      case "", "no", "always", "unless-stopped" -> {
        if (maxRetries != 0) {
          throw EngineException.invalid(
              "invalid restart policy: maximum retry count can only be used with 'on-failure'");
        }
      }
      case "on-failure" -> {
        if (maxRetries < 0) {
          throw EngineException.invalid(
              "invalid restart policy: maximum retry count cannot be negative");
        }
      }
      default ->
          throw EngineException.invalid(
              "invalid restart policy: unknown policy '"
                  + name
                  + "'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'");
    }
    return new RestartPolicy(name.isEmpty() ? "no" : name, maxRetries);
  }

  /**
   * Whether a container that exited with {@code exitCode} by itself (nobody stopped it) and was
   * restarted {@code restarts} times in a row is started again.
   */
  public boolean restarts(int exitCode, int restarts) {
    return switch (name) {
      case "always", "unless-stopped" -> true;
      case "on-failure" -> exitCode != 0 && (maxRetries == 0 || restarts < maxRetries);
      default -> false;
    };
  }

  /** Whether the engine's start brings it back when it is not running. */
  public boolean startsWithEngine(boolean stoppedByUser) {
    return name.equals("always") || (name.equals("unless-stopped") && !stoppedByUser);
  }

  /** docker's text: {@code on-failure:3}, {@code always}. */
  @Override
  public String toString() {
    return name.equals("on-failure") && maxRetries > 0 ? name + ":" + maxRetries : name;
  }
}
