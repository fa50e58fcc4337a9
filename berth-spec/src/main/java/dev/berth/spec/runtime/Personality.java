package dev.berth.spec.runtime;

import java.util.List;

/** The execution domain (personality(2)) of the process. */
public record Personality(String domain, List<String> flags) {
  public Personality {
    domain = domain == null ? "" : domain;
    flags = Copies.list(flags);
  }
}
