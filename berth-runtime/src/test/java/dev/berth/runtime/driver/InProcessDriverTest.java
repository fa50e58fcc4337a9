package dev.berth.runtime.driver;

import dev.berth.runtime.ContainerRuntime;
import java.nio.file.Path;

/** The contract on berth's runtime in this JVM: the default driver. */
class InProcessDriverTest extends RuntimeDriverContract {
  @Override
  protected RuntimeDriver driver(Path stateRoot) {
    return new InProcessDriver("berth", new ContainerRuntime(stateRoot));
  }

  @Override
  protected boolean stdioFiles() {
    return false;
  }

  @Override
  protected String idPrefix() {
    return "dip";
  }
}
