import dev.berth.engine.container.ContainerOptions;
import dev.berth.engine.store.ContainerRecord;
import dev.berth.engine.store.ContainerStore;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

/**
 * What the engine's container store costs a cold CLI (bench/engine-store.sh runs it):
 * floor | list ROOT | create ROOT | all ROOT | populate ROOT N.
 * "list" is `berth ps -a`'s store work (open + list), "create" a `berth create`'s (open + create one record),
 * "all" both; "floor" does nothing, to subtract the JVM.
 */
public final class EngineStoreBench {
  public static void main(String[] args) throws Exception {
    switch (args[0]) {
      case "floor" -> { }
      case "list" -> System.out.println(ContainerStore.open(Path.of(args[1])).list().containers().size());
      case "create" -> create(ContainerStore.open(Path.of(args[1])));
      case "all" -> {
        ContainerStore s = ContainerStore.open(Path.of(args[1]));
        System.out.println(s.list().containers().size());
        create(s);
      }
      case "populate" -> {
        ContainerStore s = ContainerStore.open(Path.of(args[1]));
        for (int i = 0, n = Integer.parseInt(args[2]); i < n; i++) create(s);
      }
      default -> throw new IllegalArgumentException(args[0]);
    }
  }

  private static void create(ContainerStore s) throws Exception {
    ContainerOptions o = new ContainerOptions("busybox", null, null, List.of("httpd", "-f", "-p", "8080"),
        List.of("K=V"), "/data", null, null, false, false, java.util.Map.of("app", "web"),
        List.of(new ContainerOptions.MountOption(ContainerOptions.MountOption.Type.VOLUME, "data", "/data", false,
            null)), null, null, null, false, false, null, null, null, null, null, null, false, 0, false);
    s.create(ContainerRecord.of(s.newId(), Instant.now(), o, "sha256:" + "ab".repeat(32), "berth"));
  }
}
