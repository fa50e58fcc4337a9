package dev.berth.runtime;

import dev.berth.testkit.RequiresRoot;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A test class whose tests each run containers on a fresh fixture ({@link RuntimeFixture}): a
 * temporary directory, a busybox bundle in it (with {@code tmp/out} bound at /out), a {@link
 * ContainerRuntime} with its state in {@code tmp/state}, and a unique container id, deleted
 * (forced) after the test. Fields marked {@link Fixture} get them. Root only.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@RequiresRoot
@ExtendWith(RuntimeFixture.class)
public @interface ContainerTest {
  /**
   * The container id's prefix (a letter or two naming the class: ids show in cgroup paths and
   * leftovers).
   */
  String id();

  /**
   * Whether the bundle binds {@code tmp/out} read-write at /out: how tests read what a container
   * saw.
   */
  boolean out() default true;

  /**
   * Makes {@code tmp} 0755 (a temporary directory is 0700): for container users other than host
   * root.
   */
  boolean searchableTmp() default false;

  /** Makes {@code out} 0777: for container users other than root to write their findings. */
  boolean writableOut() default false;
}
