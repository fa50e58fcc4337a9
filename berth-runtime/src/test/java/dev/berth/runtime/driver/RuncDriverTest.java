package dev.berth.runtime.driver;

import dev.berth.testkit.RequiresCommand;
import java.nio.file.Path;

/** The contract on runc (Debian's 1.1.5) through its command line. */
@RequiresCommand("runc")
class RuncDriverTest extends RuntimeDriverContract {
  @Override
  protected RuntimeDriver driver(Path stateRoot) {
    return new OciCliDriver("runc", "runc", stateRoot);
  }

  @Override
  protected String idPrefix() {
    return "drc";
  }
}
