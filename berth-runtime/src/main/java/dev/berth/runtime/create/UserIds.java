package dev.berth.runtime.create;

import dev.berth.runtime.ContainerException;
import dev.berth.spec.runtime.User;
import java.util.List;

/**
 * The ids of process.user, kept within 0..2^31-1 as runc keeps them. uid_t is 32 bits, and the
 * kernel reads 4294967295 as -1, "leave unchanged": setresuid(-1, -1, -1) would leave the process
 * root, the runtime's own identity. The spec reader keeps a uint32 in an int, so such ids arrive
 * negative here.
 */
final class UserIds {
  private UserIds() {}

  static void check(User user) throws ContainerException {
    inRange(user.uid(), "process.user.uid");
    inRange(user.gid(), "process.user.gid");
    List<Integer> gids = user.additionalGids();
    for (int i = 0; i < gids.size(); i++)
      inRange(gids.get(i), "process.user.additionalGids[" + i + "]");
  }

  private static void inRange(int id, String field) throws ContainerException {
    if (id < 0) {
      throw ContainerException.invalid(
          field
              + ": "
              + Integer.toUnsignedString(id)
              + " is out of range: uids and gids must be in range 0-2147483647");
    }
  }
}
