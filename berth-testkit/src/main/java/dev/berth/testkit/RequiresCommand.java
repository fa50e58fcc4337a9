package dev.berth.testkit;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * An interop test against real peers (runc, podman, ...): needs root and each named command on
 * PATH.
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Tag("interop")
@ExtendWith(PrivilegeCondition.class)
public @interface RequiresCommand {
  String[] value();
}
