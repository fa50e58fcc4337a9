package dev.berth.testkit;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A test that needs root: real namespaces, mounts and cgroups. Opt-in with {@code -Dtest.root=true}
 * (as containerd's {@code -test.root}); skipped with the reason otherwise.
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Tag("integration")
@ExtendWith(PrivilegeCondition.class)
public @interface RequiresRoot {}
