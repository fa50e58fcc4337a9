package dev.berth.spec.runtime;

import java.util.List;

/** Lifecycle hooks, by stage. */
public record Hooks(
    List<Hook> prestart,
    List<Hook> createRuntime,
    List<Hook> createContainer,
    List<Hook> startContainer,
    List<Hook> poststart,
    List<Hook> poststop) {
  public Hooks {
    prestart = Copies.list(prestart);
    createRuntime = Copies.list(createRuntime);
    createContainer = Copies.list(createContainer);
    startContainer = Copies.list(startContainer);
    poststart = Copies.list(poststart);
    poststop = Copies.list(poststop);
  }

  /** No hooks at all. */
  public static final Hooks EMPTY = new Hooks(null, null, null, null, null, null);

  /** True when no stage has a hook. */
  public boolean isEmpty() {
    return prestart.isEmpty()
        && createRuntime.isEmpty()
        && createContainer.isEmpty()
        && startContainer.isEmpty()
        && poststart.isEmpty()
        && poststop.isEmpty();
  }
}
