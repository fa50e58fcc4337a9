package dev.berth.spec.error;

/**
 * What kind of failure an operation of the stack met, in the terms its callers act on: the one set
 * of categories that the runtime, the images and the engine throw (through {@link BerthException}),
 * and that each front door maps once, at its edge, to what its peers read: {@code berth-runc} to
 * runc's exit statuses, {@code berth} to podman's, the Docker Engine API to HTTP statuses, the CRI
 * to gRPC codes.
 *
 * <p>The set is containerd's errdefs and gRPC's codes, cut to the ones those front doors answer
 * differently. A category says what the caller can do about the failure, not where it happened: the
 * message and the cause chain say that. Pick the first that applies, in this order: the caller's
 * own input ({@link #INVALID_ARGUMENT}), the object it named ({@link #NOT_FOUND}, {@link
 * #ALREADY_EXISTS}), the object's state ({@link #FAILED_PRECONDITION}), its rights ({@link
 * #UNAUTHORIZED}, {@link #PERMISSION_DENIED}), then the system's ({@link #RESOURCE_EXHAUSTED},
 * {@link #UNAVAILABLE}, {@link #UNIMPLEMENTED}), or the caller's time ({@link #DEADLINE_EXCEEDED},
 * {@link #CANCELLED}); {@link #INTERNAL} when nothing the caller does will help.
 */
public enum ErrorCategory {
  /**
   * The named object does not exist: no container "c1", no image "app:1", a manifest the registry
   * does not have.
   */
  NOT_FOUND,

  /** The object to create exists already: a container id or name in use at create or restore. */
  ALREADY_EXISTS,

  /**
   * The request itself is wrong, whatever the state: a malformed config.json or manifest, an
   * invalid id, flag value or signal name, a hostile layer entry. Retrying the same request fails
   * the same way.
   */
  INVALID_ARGUMENT,

  /**
   * The request is well-formed but the object's state refuses it now: start of a stopped container,
   * kill of one not running, delete of a running one without force, rmi of an image in use or named
   * twice without force.
   */
  FAILED_PRECONDITION,

  /**
   * Credentials are missing or were refused: a registry answered 401, 403 or UNAUTHORIZED/DENIED, a
   * failed login.
   */
  UNAUTHORIZED,

  /**
   * The caller is known but may not do this: an operation a rootless user lacks the privilege for,
   * a path or socket it may not open. Not for registry credentials ({@link #UNAUTHORIZED}).
   */
  PERMISSION_DENIED,

  /**
   * A limit of the host or of a quota was reached: a full disk (ENOSPC), no pids, memory or fds
   * left.
   */
  RESOURCE_EXHAUSTED,

  /**
   * Something the operation needs is out of reach for now and a retry may succeed: a registry that
   * refuses the connection, times out or answers 5xx, a download that broke off.
   */
  UNAVAILABLE,

  /**
   * Valid, but this implementation does not do it: the systemd cgroup driver, Intel RDT, seccomp on
   * an architecture without a compiler, a verb a runtime handler lacks.
   */
  UNIMPLEMENTED,

  /**
   * The operation did not finish in the time it was given: a hook's timeout, an exec with a
   * deadline.
   */
  DEADLINE_EXCEEDED,

  /** The caller gave up: the thread doing a pull was interrupted, the client went away. */
  CANCELLED,

  /**
   * A failure the caller can do nothing about: an I/O error on the store, a syscall that failed
   * where it should not, a bug. The message says what was being done and the cause keeps the
   * detail.
   */
  INTERNAL
}
