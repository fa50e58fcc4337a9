package dev.berth.runtime;

import dev.berth.testkit.Bundle;
import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.AfterTestExecutionCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.platform.commons.support.AnnotationSupport;

/**
 * The fixture of {@link ContainerTest} classes, made before the class's own {@code @BeforeEach}
 * methods (which may change the bundle, or create and start the container) and undone after each
 * test: the container is force-deleted right after the test method, before the class's
 * {@code @AfterEach} methods (which may check what it left), and once more after them, in case a
 * {@code @BeforeEach} failed after creating it; then the directory is removed.
 *
 * <p>In berth-runtime's tests, not berth-testkit's: it makes a {@link ContainerRuntime}, and
 * berth-testkit may not depend on berth-runtime, whose tests depend on berth-testkit.
 */
public final class RuntimeFixture
    implements BeforeEachCallback, AfterTestExecutionCallback, AfterEachCallback {
  private static final ExtensionContext.Namespace NS =
      ExtensionContext.Namespace.create(RuntimeFixture.class);

  /** What one test got. */
  private record Made(Path tmp, ContainerRuntime rt, String id) {}

  @Override
  public void beforeEach(ExtensionContext context) throws Exception {
    ContainerTest config =
        AnnotationSupport.findAnnotation(context.getRequiredTestClass(), ContainerTest.class)
            .orElseThrow(
                () ->
                    new ExtensionConfigurationException(
                        RuntimeFixture.class.getSimpleName()
                            + " needs @"
                            + ContainerTest.class.getSimpleName()));
    Path tmp =
        Files.createTempDirectory("berth-" + context.getRequiredTestClass().getSimpleName() + "-");
    if (config.searchableTmp())
      Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path out = tmp.resolve("out");
    Bundle bundle = Bundle.busybox(tmp.resolve("bundle"));
    if (config.out()) {
      Files.createDirectories(out);
      if (config.writableOut())
        Files.setPosixFilePermissions(out, PosixFilePermissions.fromString("rwxrwxrwx"));
      bundle.bind(out, "/out");
    }
    ContainerRuntime rt = new ContainerRuntime(tmp.resolve("state"));
    String id = config.id() + ProcessHandle.current().pid() + "-" + System.nanoTime() % 100000;
    context.getStore(NS).put(Made.class, new Made(tmp, rt, id));

    Object test = context.getRequiredTestInstance();
    for (Field f : AnnotationSupport.findAnnotatedFields(test.getClass(), Fixture.class)) {
      Object value;
      if (f.getType() == ContainerRuntime.class) value = rt;
      else if (f.getType() == Bundle.class) value = bundle;
      else if (f.getType() == String.class) value = id;
      else if (f.getType() == Path.class && f.getName().equals("tmp")) value = tmp;
      else if (f.getType() == Path.class && f.getName().equals("out") && config.out()) value = out;
      else
        throw new ExtensionConfigurationException(
            "@Fixture " + f + ": not a fixture (see Fixture)");
      f.setAccessible(true);
      f.set(test, value);
    }
  }

  @Override
  public void afterTestExecution(ExtensionContext context) throws Exception {
    Made made = context.getStore(NS).get(Made.class, Made.class);
    if (made != null) made.rt().delete(made.id(), true);
  }

  @Override
  public void afterEach(ExtensionContext context) throws Exception {
    Made made = context.getStore(NS).remove(Made.class, Made.class);
    if (made == null) return;
    made.rt().delete(made.id(), true);
    removeTree(made.tmp());
  }

  private static void removeTree(Path dir) throws IOException {
    Files.walkFileTree(
        dir,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
              throws IOException {
            Files.delete(file);
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
            if (e != null) throw e;
            Files.delete(d);
            return FileVisitResult.CONTINUE;
          }
        });
  }
}
