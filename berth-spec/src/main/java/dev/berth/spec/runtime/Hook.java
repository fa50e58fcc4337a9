package dev.berth.spec.runtime;

import java.util.List;

/** A hook command; {@code timeout} in seconds, null when absent. */
public record Hook(String path, List<String> args, List<String> env, Integer timeout) {
  public Hook {
    path = path == null ? "" : path;
    args = Copies.list(args);
    env = Copies.list(env);
  }
}
