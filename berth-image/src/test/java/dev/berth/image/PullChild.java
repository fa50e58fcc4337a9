package dev.berth.image;

import java.nio.file.Path;

/**
 * {@code PullChild ROOT REF}: a second process that pulls REF into the store at ROOT (as {@code
 * berth pull} would), for the tests that kill a pull half-way (content/StoreChild starts it).
 */
public final class PullChild {
  private PullChild() {}

  public static void main(String[] args) throws Exception {
    try (ImageService service = StoreChecks.service(Path.of(args[0]))) {
      service.pull(args[1], null, Progress.NONE);
    }
    System.out.println("done");
  }
}
