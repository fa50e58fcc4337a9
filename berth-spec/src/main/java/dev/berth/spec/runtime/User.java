package dev.berth.spec.runtime;

import java.util.List;

/**
 * User of the process. uid, gid and additionalGids are uint32: read them with {@link
 * Integer#toUnsignedLong}. {@code umask} is null when absent.
 */
public record User(int uid, int gid, Integer umask, List<Integer> additionalGids, String username) {
  public User {
    additionalGids = Copies.list(additionalGids);
    username = username == null ? "" : username;
  }

  /** uid 0, gid 0: the user of a process whose config names none. */
  public static final User ROOT = new User(0, 0, null, null, null);
}
