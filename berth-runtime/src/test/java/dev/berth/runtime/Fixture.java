package dev.berth.runtime;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A field of a {@link ContainerTest} class that {@link RuntimeFixture} sets before each test, by
 * its type: {@code ContainerRuntime}, {@code Bundle}, {@code String} (the container id), or {@code
 * Path} named {@code tmp} (the test's temporary directory) or {@code out} (the directory bound at
 * /out).
 */
@Target(ElementType.FIELD)
@Retention(RetentionPolicy.RUNTIME)
public @interface Fixture {}
