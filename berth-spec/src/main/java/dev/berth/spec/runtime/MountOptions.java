package dev.berth.spec.runtime;

import static dev.berth.spec.runtime.MountFlags.*;

import java.util.ArrayList;
import java.util.List;

/**
 * A mount's {@code options} list resolved into what mount(2) and mount_setattr(2) take, with runc's
 * semantics: options are applied in order, so a later option wins over an earlier opposite one
 * ({@code ro,rw} is read-write).
 *
 * @param flags MS_* flags to pass to mount(2), including MS_BIND and MS_REC for {@code bind} /
 *     {@code rbind} and MS_REMOUNT for {@code remount}
 * @param clearFlags MS_* flags an option explicitly turned off ({@code rw}, {@code dev}, {@code
 *     suid} ...): a bind mount's read-only remount must clear these and keep the rest of the
 *     source's flags
 * @param propagations propagation changes ({@code MS_SHARED|MS_REC} for {@code rshared} ...) in
 *     option order; each is a separate mount(2) call after the mount itself
 * @param recAttrSet MOUNT_ATTR_* to set recursively ({@code rro}, {@code rnosuid} ...), 0 if none
 * @param recAttrClr MOUNT_ATTR_* to clear recursively ({@code rrw} ...; includes MOUNT_ATTR__ATIME
 *     when an access-time mode is set, as mount_setattr(2) requires), 0 if none
 * @param tmpcopyup {@code tmpcopyup}: copy the directory's content from the image into a new tmpfs
 * @param idmap {@code idmap} or {@code ridmap}: make this an idmapped mount
 * @param idmapRecursive {@code ridmap}: apply the idmapping to the whole bind-mounted tree
 * @param data every other option, comma-joined, for the filesystem ({@code mode=755,size=65536k})
 */
public record MountOptions(
    long flags,
    long clearFlags,
    List<Integer> propagations,
    long recAttrSet,
    long recAttrClr,
    boolean tmpcopyup,
    boolean idmap,
    boolean idmapRecursive,
    String data) {

  public MountOptions {
    propagations = Copies.list(propagations);
    data = data == null ? "" : data;
  }

  /** True for {@code bind} and {@code rbind}. */
  public boolean isBind() {
    return (flags & MS_BIND) != 0;
  }

  /** True for {@code rbind}. */
  public boolean isRecursiveBind() {
    return (flags & (MS_BIND | MS_REC)) == (MS_BIND | MS_REC);
  }

  /** True if some recursive attribute ({@code rro} ...) needs a mount_setattr(2) call. */
  public boolean hasRecursiveAttrs() {
    return recAttrSet != 0 || recAttrClr != 0;
  }

  /** The options of {@code mount}, resolved. */
  public static MountOptions of(Mount mount) {
    return parse(mount.options());
  }

  /**
   * Resolves an options list. Unknown options are not an error: they are filesystem data, as in
   * runc, and the kernel judges them.
   */
  public static MountOptions parse(List<String> options) {
    long flags = 0;
    long cleared = 0;
    long attrSet = 0;
    long attrClr = 0;
    boolean tmpcopyup = false;
    boolean idmap = false;
    boolean idmapRecursive = false;
    List<Integer> propagations = new ArrayList<>(0);
    StringBuilder data = new StringBuilder();
    for (String o : options) {
      long set = setFlag(o);
      long clear = set == 0 ? clearFlag(o) : 0;
      if (set != 0) {
        flags |= set;
        cleared &= ~set;
        continue;
      }
      if (clear != 0) {
        flags &= ~clear;
        cleared |= clear;
        continue;
      }
      int propagation = propagation(o);
      if (propagation != 0) {
        propagations.add(propagation);
        continue;
      }
      long attrOn = recursiveSet(o);
      if (attrOn != NONE) {
        attrSet |= attrOn;
        attrClr &= ~attrOn;
        if ((attrOn & MOUNT_ATTR__ATIME) == attrOn) {
          // mount_setattr(2): an access-time mode in attr_set needs MOUNT_ATTR__ATIME in attr_clr
          // (MOUNT_ATTR_RELATIME is 0, so rrelatime lands here too).
          attrClr |= MOUNT_ATTR__ATIME;
        }
        continue;
      }
      long attrOff = recursiveClear(o);
      if (attrOff != NONE) {
        attrClr |= attrOff;
        attrSet &= ~attrOff;
        continue;
      }
      switch (o) {
        case "tmpcopyup" -> tmpcopyup = true;
        case "idmap" -> idmap = true;
        case "ridmap" -> {
          idmap = true;
          idmapRecursive = true;
        }
        // "defaults" means "no change" (fstab(5)). runc passes it on as data, which tmpfs and
        // others reject;
        // we drop it, as crun and youki do.
        case "defaults" -> {}
        default -> {
          if (!data.isEmpty()) {
            data.append(',');
          }
          data.append(o);
        }
      }
    }
    return new MountOptions(
        flags,
        cleared,
        propagations,
        attrSet,
        attrClr,
        tmpcopyup,
        idmap,
        idmapRecursive,
        data.toString());
  }

  private static final long NONE = -1;

  // String switches compile to a hashCode lookup: no map to build at class init on the start path.
  private static long setFlag(String o) {
    return switch (o) {
      case "ro" -> MS_RDONLY;
      case "nosuid" -> MS_NOSUID;
      case "nodev" -> MS_NODEV;
      case "noexec" -> MS_NOEXEC;
      case "sync" -> MS_SYNCHRONOUS;
      case "remount" -> MS_REMOUNT;
      case "mand" -> MS_MANDLOCK;
      case "dirsync" -> MS_DIRSYNC;
      case "nosymfollow" -> MS_NOSYMFOLLOW;
      case "noatime" -> MS_NOATIME;
      case "nodiratime" -> MS_NODIRATIME;
      case "bind" -> MS_BIND;
      case "rbind" -> MS_BIND | MS_REC;
      case "silent" -> MS_SILENT;
      case "relatime" -> MS_RELATIME;
      case "iversion" -> MS_I_VERSION;
      case "strictatime" -> MS_STRICTATIME;
      case "lazytime" -> MS_LAZYTIME;
      default -> 0;
    };
  }

  private static long clearFlag(String o) {
    return switch (o) {
      case "rw" -> MS_RDONLY;
      case "suid" -> MS_NOSUID;
      case "dev" -> MS_NODEV;
      case "exec" -> MS_NOEXEC;
      case "async" -> MS_SYNCHRONOUS;
      case "nomand" -> MS_MANDLOCK;
      case "symfollow" -> MS_NOSYMFOLLOW;
      case "atime" -> MS_NOATIME;
      case "diratime" -> MS_NODIRATIME;
      case "loud" -> MS_SILENT;
      case "norelatime" -> MS_RELATIME;
      case "noiversion" -> MS_I_VERSION;
      case "nostrictatime" -> MS_STRICTATIME;
      case "nolazytime" -> MS_LAZYTIME;
      default -> 0;
    };
  }

  private static int propagation(String o) {
    return (int)
        switch (o) {
          case "private" -> MS_PRIVATE;
          case "rprivate" -> MS_PRIVATE | MS_REC;
          case "shared" -> MS_SHARED;
          case "rshared" -> MS_SHARED | MS_REC;
          case "slave" -> MS_SLAVE;
          case "rslave" -> MS_SLAVE | MS_REC;
          case "unbindable" -> MS_UNBINDABLE;
          case "runbindable" -> MS_UNBINDABLE | MS_REC;
          default -> 0;
        };
  }

  // NONE, not 0, marks "not this kind": MOUNT_ATTR_RELATIME is 0.
  private static long recursiveSet(String o) {
    return switch (o) {
      case "rro" -> MOUNT_ATTR_RDONLY;
      case "rnosuid" -> MOUNT_ATTR_NOSUID;
      case "rnodev" -> MOUNT_ATTR_NODEV;
      case "rnoexec" -> MOUNT_ATTR_NOEXEC;
      case "rnodiratime" -> MOUNT_ATTR_NODIRATIME;
      case "rrelatime" -> MOUNT_ATTR_RELATIME;
      case "rnoatime" -> MOUNT_ATTR_NOATIME;
      case "rstrictatime" -> MOUNT_ATTR_STRICTATIME;
      case "rnosymfollow" -> MOUNT_ATTR_NOSYMFOLLOW;
      default -> NONE;
    };
  }

  private static long recursiveClear(String o) {
    return switch (o) {
      case "rrw" -> MOUNT_ATTR_RDONLY;
      case "rsuid" -> MOUNT_ATTR_NOSUID;
      case "rdev" -> MOUNT_ATTR_NODEV;
      case "rexec" -> MOUNT_ATTR_NOEXEC;
      case "rdiratime" -> MOUNT_ATTR_NODIRATIME;
      case "rnorelatime" -> MOUNT_ATTR_RELATIME;
      case "ratime" -> MOUNT_ATTR_NOATIME;
      case "rnostrictatime" -> MOUNT_ATTR_STRICTATIME;
      case "rsymfollow" -> MOUNT_ATTR_NOSYMFOLLOW;
      default -> NONE;
    };
  }

  /**
   * Every option name this parser gives a meaning to (for {@code features}); anything else is
   * filesystem data.
   */
  public static List<String> knownOptions() {
    return List.of(
        "async",
        "atime",
        "bind",
        "defaults",
        "dev",
        "diratime",
        "dirsync",
        "exec",
        "idmap",
        "iversion",
        "lazytime",
        "loud",
        "mand",
        "noatime",
        "nodev",
        "nodiratime",
        "noexec",
        "noiversion",
        "nolazytime",
        "nomand",
        "norelatime",
        "nostrictatime",
        "nosuid",
        "nosymfollow",
        "private",
        "ratime",
        "rbind",
        "rdev",
        "rdiratime",
        "relatime",
        "remount",
        "rexec",
        "ridmap",
        "rnoatime",
        "rnodev",
        "rnodiratime",
        "rnoexec",
        "rnorelatime",
        "rnostrictatime",
        "rnosuid",
        "rnosymfollow",
        "ro",
        "rprivate",
        "rrelatime",
        "rro",
        "rrw",
        "rshared",
        "rslave",
        "rstrictatime",
        "rsuid",
        "rsymfollow",
        "runbindable",
        "rw",
        "shared",
        "silent",
        "slave",
        "strictatime",
        "suid",
        "symfollow",
        "sync",
        "tmpcopyup",
        "unbindable");
  }
}
