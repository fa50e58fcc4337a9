package dev.berth.engine.spec;

import static dev.berth.sys.LinuxConstants.O_CLOEXEC;
import static dev.berth.sys.LinuxConstants.O_DIRECTORY;
import static dev.berth.sys.LinuxConstants.O_NOCTTY;
import static dev.berth.sys.LinuxConstants.O_NONBLOCK;
import static dev.berth.sys.LinuxConstants.O_PATH;
import static dev.berth.sys.LinuxConstants.O_RDONLY;
import static dev.berth.sys.LinuxConstants.RESOLVE_IN_ROOT;
import static dev.berth.sys.LinuxConstants.RESOLVE_NO_MAGICLINKS;

import dev.berth.spec.error.BerthException;
import dev.berth.spec.error.ErrorCategory;
import dev.berth.sys.ErrnoException;
import dev.berth.sys.Fd;
import dev.berth.sys.Linux;
import dev.berth.sys.LinuxConstants;
import dev.berth.sys.Stat;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Resolves docker's {@code --user user[:group]} through an image's /etc/passwd and /etc/group, as
 * runc's and docker's user lookup does: a name must be in passwd; a number needs no entry (gid 0,
 * home "/"); a user found by name or number gets its passwd gid and home and, unless a group is
 * given, the groups that list it as a member.
 *
 * <p>The primary gid is always the first of the additional gids, as docker (CVE-2022-36109) and
 * containerd (CVE-2023-25173) set them since their fixes and as a login's initgroups does: a group
 * held only as the primary gid is dropped by exec of a setgid program or by newgrp, which would
 * free the process from a file's group restriction (mode 0705 and the like keep that group out).
 *
 * <p>Ids are uid_t values runc accepts, 0 to 2^31-1, whether given or read from the image's files:
 * anything else is refused (CVE-2024-40635: an id that wraps to -1 is "leave unchanged" to
 * setresuid, so the process would stay root).
 *
 * <p>The files are opened inside the root filesystem (openat2 RESOLVE_IN_ROOT): an image's symlink
 * {@code /etc/passwd -> /host/etc/shadow} or {@code -> ../../../etc/shadow} resolves within the
 * image, never on the host. Only regular files are opened (a FIFO would block, a device never end
 * or act on the host), and read up to {@link #MAX_SIZE}.
 */
public final class ImageUsers {
  private ImageUsers() {}

  /**
   * The most a passwd or group file may hold: an image's files are input, not trusted to be small.
   */
  public static final int MAX_SIZE = 16 << 20;

  private static final long MAX_ID = Integer.MAX_VALUE;

  /**
   * The process user: ids, the additional gids (the primary gid first, then the supplementary
   * groups from /etc/group), the home directory, and the passwd name (empty when the user has
   * none).
   */
  public record ExecUser(int uid, int gid, List<Integer> additionalGids, String home, String name) {
    public ExecUser {
      additionalGids = List.copyOf(additionalGids);
    }
  }

  /**
   * An image's /etc/passwd and /etc/group as read from its root filesystem (null: the image has no
   * such file): what resolves its users, kept by a caller that resolves many on the same layers.
   */
  public record UserFiles(byte[] passwd, byte[] group) {
    /** Both files of {@code rootfs}, opened as every read here opens them. */
    public static UserFiles read(Path rootfs) throws BerthException {
      try (Fd root = openRoot(rootfs)) {
        return new UserFiles(
            readInRoot(root, rootfs, "etc/passwd"), readInRoot(root, rootfs, "etc/group"));
      } catch (ErrnoException e) {
        throw new BerthException(
            ErrorCategory.INTERNAL,
            "open the root filesystem " + rootfs + ": " + e.getMessage(),
            e);
      }
    }

    /** The bytes both files hold. */
    public long size() {
      return (passwd == null ? 0 : passwd.length) + (group == null ? 0 : group.length);
    }
  }

  /** Resolves {@code userSpec} (empty: root) in the files of {@code rootfs}. */
  public static ExecUser resolve(Path rootfs, String userSpec) throws BerthException {
    return resolve(UserFiles.read(rootfs), userSpec);
  }

  /** Resolves {@code userSpec} (empty: root) in {@code files}. */
  public static ExecUser resolve(UserFiles files, String userSpec) throws BerthException {
    return resolve(files.passwd(), files.group(), userSpec == null ? "" : userSpec);
  }

  private static Fd openRoot(Path rootfs) throws ErrnoException {
    return Linux.open(rootfs.toString(), O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
  }

  /**
   * The gids of {@code groups} ({@code --group-add}): numbers as they are, names from the image's
   * /etc/group (docker's error for a name it lacks).
   */
  public static List<Integer> groupIds(Path rootfs, List<String> groups) throws BerthException {
    return groupIds(groups, () -> readInRoot(rootfs, "etc/group"));
  }

  /** {@link #groupIds(Path, List)} with the image's files read already. */
  public static List<Integer> groupIds(UserFiles files, List<String> groups) throws BerthException {
    return groupIds(groups, files::group);
  }

  /** The image's /etc/group, read only when a group is named (null: the image has none). */
  private interface GroupFile {
    byte[] read() throws BerthException;
  }

  private static List<Integer> groupIds(List<String> groups, GroupFile file) throws BerthException {
    List<Integer> out = new java.util.ArrayList<>();
    byte[] group = null;
    boolean read = false;
    for (String g : groups) {
      Long n = number(g);
      if (n != null) {
        out.add(inRange(n, "group " + g));
        continue;
      }
      if (!read) {
        group = file.read();
        read = true;
      }
      Integer found = null;
      if (group != null) {
        for (String[] e : entries(group, 3)) if (e[0].equals(g)) found = id(e[2], "group", g);
      }
      if (found == null) {
        throw new BerthException(
            ErrorCategory.INVALID_ARGUMENT,
            "unable to find group " + g + ": no matching entries in group file");
      }
      out.add(found);
    }
    return out;
  }

  /** Resolves {@code userSpec} with the files' contents; null means the image has no such file. */
  static ExecUser resolve(byte[] passwd, byte[] group, String userSpec) throws BerthException {
    int colon = userSpec.indexOf(':');
    String userArg = colon < 0 ? userSpec : userSpec.substring(0, colon);
    String groupArg = colon < 0 ? "" : userSpec.substring(colon + 1);
    Long uidArg = number(userArg);
    Long gidArg = number(groupArg);

    int uid = 0;
    int gid = 0;
    String home = "/";
    String matched = "";
    String[] entry = null;
    for (String[] f : entries(passwd, 7)) {
      boolean match =
          userArg.isEmpty()
              ? f[2].equals("0")
              : uidArg != null
                  ? f[2].equals(userArg) || sameNumber(f[2], uidArg)
                  : f[0].equals(userArg);
      if (match) {
        entry = f;
        break; // the first match wins
      }
    }
    if (entry != null) {
      matched = entry[0];
      uid = id(entry[2], "passwd", matched);
      gid = id(entry[3], "passwd", matched);
      home = entry[5].isEmpty() ? "/" : entry[5];
    } else if (!userArg.isEmpty()) {
      if (uidArg == null) {
        throw new BerthException(
            ErrorCategory.INVALID_ARGUMENT,
            "unable to find user " + userArg + ": no matching entries in passwd file");
      }
      uid = inRange(uidArg, userSpec);
    }

    List<Integer> supplementary = new ArrayList<>();
    if (!groupArg.isEmpty() || !matched.isEmpty()) {
      List<String[]> found = new ArrayList<>();
      for (String[] g : entries(group, 4)) {
        boolean match;
        if (groupArg.isEmpty()) {
          match = List.of(g[3].split(",", -1)).contains(matched);
        } else if (gidArg != null) {
          match = g[2].equals(groupArg) || sameNumber(g[2], gidArg);
        } else {
          match = g[0].equals(groupArg);
        }
        if (match) found.add(g);
      }
      if (!groupArg.isEmpty()) {
        if (!found.isEmpty()) {
          gid = id(found.getFirst()[2], "group", found.getFirst()[0]);
        } else if (gidArg == null) {
          throw new BerthException(
              ErrorCategory.INVALID_ARGUMENT,
              "unable to find group " + groupArg + ": no matching entries in group file");
        } else {
          gid = inRange(gidArg, userSpec);
        }
      } else {
        for (String[] g : found) {
          int id = id(g[2], "group", g[0]);
          if (!supplementary.contains(id)) supplementary.add(id);
        }
      }
    }
    List<Integer> groups = new ArrayList<>(List.of(gid));
    for (int g : supplementary) if (g != gid) groups.add(g);
    return new ExecUser(uid, gid, groups, home, matched);
  }

  private static boolean sameNumber(String field, long n) {
    Long v = number(field);
    return v != null && v == n;
  }

  /**
   * The lines of a colon-separated file with at least {@code min} fields (padded), comments and
   * blanks skipped.
   */
  private static List<String[]> entries(byte[] file, int min) {
    List<String[]> out = new ArrayList<>();
    if (file == null) return out;
    for (String line : new String(file, StandardCharsets.UTF_8).split("\n")) {
      line = line.strip();
      if (line.isEmpty() || line.startsWith("#")) continue;
      String[] f = line.split(":", -1);
      if (f.length < min) {
        String[] padded = new String[min];
        for (int i = 0; i < min; i++) padded[i] = i < f.length ? f[i] : "";
        f = padded;
      }
      out.add(f);
    }
    return out;
  }

  private static int id(String field, String file, String name) throws BerthException {
    Long n = number(field);
    if (n == null || n < 0 || n > MAX_ID) {
      throw new BerthException(
          ErrorCategory.INVALID_ARGUMENT,
          "invalid id '" + field + "' of " + name + " in the image's /etc/" + file);
    }
    return n.intValue();
  }

  private static int inRange(long n, String userSpec) throws BerthException {
    if (n < 0 || n > MAX_ID) {
      throw new BerthException(
          ErrorCategory.INVALID_ARGUMENT,
          "user " + userSpec + ": uids and gids must be in range 0-" + MAX_ID);
    }
    return (int) n;
  }

  /** A decimal number (with an optional sign, as Go's Atoi), or null. */
  private static Long number(String s) {
    if (s.isEmpty() || s.length() > 18) return null;
    int i = s.charAt(0) == '-' || s.charAt(0) == '+' ? 1 : 0;
    if (i == s.length()) return null;
    for (int j = i; j < s.length(); j++) if (s.charAt(j) < '0' || s.charAt(j) > '9') return null;
    return Long.parseLong(s);
  }

  /**
   * A file of the root filesystem, resolved as if {@code rootfs} were "/" (symlinks included), or
   * null if it is missing; anything but a regular file is refused.
   *
   * <p>The name is resolved to an O_PATH fd first, which opens nothing: a device node named
   * /etc/passwd (an image's, or one a running container made with its CAP_MKNOD before an exec -u)
   * is never opened on the host, where its driver would act for the engine (a watchdog armed, a
   * tape rewound, a terminal made the engine's controlling one). Only a regular file is then
   * reopened for reading, through that fd (the same inode, whatever the container renames since),
   * and read up to {@link #MAX_SIZE} bytes: a running container may grow it (a sparse truncate to
   * terabytes) after the size was checked.
   */
  static byte[] readInRoot(Path rootfs, String relative) throws BerthException {
    try (Fd root = openRoot(rootfs)) {
      return readInRoot(root, rootfs, relative);
    } catch (ErrnoException e) {
      return absentOrFail(e, rootfs, relative);
    }
  }

  /** {@link #readInRoot(Path, String)} in the root filesystem {@code root} (an O_PATH fd). */
  private static byte[] readInRoot(Fd root, Path rootfs, String relative) throws BerthException {
    try (Fd path =
        Linux.openat2(
            root, relative, O_PATH | O_CLOEXEC, 0, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)) {
      Stat st = Linux.fstat(path);
      if (!st.isRegularFile()) {
        throw new BerthException(
            ErrorCategory.INVALID_ARGUMENT, "the image's /" + relative + " is not a regular file");
      }
      if (st.size() > MAX_SIZE) throw tooLarge(relative);
      try (Fd fd = Linux.reopen(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)) {
        return readAtMost(fd, relative, st.size());
      }
    } catch (ErrnoException e) {
      return absentOrFail(e, rootfs, relative);
    }
  }

  /** Null for a file (or a directory on its way) that is not there; the error otherwise. */
  private static byte[] absentOrFail(ErrnoException e, Path rootfs, String relative)
      throws BerthException {
    if (e.errno() == LinuxConstants.ENOENT || e.errno() == LinuxConstants.ENOTDIR) return null;
    throw new BerthException(
        ErrorCategory.INTERNAL,
        "read /" + relative + " in the root filesystem " + rootfs + ": " + e.getMessage(),
        e);
  }

  /**
   * All of {@code fd}, refused once it holds more than {@link #MAX_SIZE} bytes; {@code size} (its
   * size when it was examined) sizes the buffer, so the usual file is read by one read and the
   * end-of-file read, with no copy beyond the result's.
   */
  private static byte[] readAtMost(Fd fd, String relative, long size)
      throws BerthException, ErrnoException {
    // One byte more than the most it may hold: a read that fills it has found a file too large.
    byte[] out = new byte[(int) Math.min(MAX_SIZE + 1L, Math.max(size + 1, 512))];
    int len = 0;
    while (true) {
      if (len == out.length)
        out = java.util.Arrays.copyOf(out, (int) Math.min(MAX_SIZE + 1L, 2L * len));
      int n = Linux.read(fd, java.nio.ByteBuffer.wrap(out, len, out.length - len));
      if (n <= 0) return java.util.Arrays.copyOf(out, len);
      len += n;
      if (len > MAX_SIZE) {
        throw new BerthException(
            ErrorCategory.INVALID_ARGUMENT,
            "the image's /" + relative + " grew past " + MAX_SIZE + " bytes while being read");
      }
    }
  }

  private static BerthException tooLarge(String relative) {
    return new BerthException(
        ErrorCategory.INVALID_ARGUMENT,
        "the image's /" + relative + " is larger than " + MAX_SIZE + " bytes");
  }
}
