package dev.berth.spec.runtime;

import java.util.List;

/** Capability sets of the process, by name ({@code CAP_KILL}). */
public record Capabilities(
    List<String> bounding,
    List<String> effective,
    List<String> inheritable,
    List<String> permitted,
    List<String> ambient) {
  public Capabilities {
    bounding = Copies.list(bounding);
    effective = Copies.list(effective);
    inheritable = Copies.list(inheritable);
    permitted = Copies.list(permitted);
    ambient = Copies.list(ambient);
  }
}
