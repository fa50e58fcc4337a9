package dev.berth.runtime.cgroups.devices;

import java.util.List;

/**
 * What a cgroup v1 devices controller holds after a sequence of rules: a default and the exceptions
 * to it. With {@code defaultAllow} false an access is allowed only if one exception covers all of
 * it; with true it is denied if any exception covers part of it, as the kernel's devcgroup check
 * decides.
 */
public record DevicePolicy(boolean defaultAllow, List<Entry> exceptions) {
  /** Access bits, as struct bpf_cgroup_dev_ctx carries them in the high half of access_type. */
  public static final int MKNOD = 1;

  public static final int READ = 2;
  public static final int WRITE = 4;
  public static final int ALL = MKNOD | READ | WRITE;

  /** Any major or minor. */
  public static final long ANY = -1;

  public DevicePolicy {
    exceptions = List.copyOf(exceptions);
  }

  /**
   * One exception: {@code type} 'b' or 'c', {@code major} and {@code minor} 0-4294967295 or {@link
   * #ANY}, {@code access} a non-empty mask of {@link #MKNOD}, {@link #READ} and {@link #WRITE}.
   */
  public record Entry(char type, long major, long minor, int access) {
    public Entry {
      if (type != 'b' && type != 'c')
        throw new IllegalArgumentException("type: must be b or c (got " + type + ")");
      if (access <= 0 || (access & ~ALL) != 0)
        throw new IllegalArgumentException("access: must be a mask of rwm");
    }

    boolean sameDevices(Entry o) {
      return type == o.type && major == o.major && minor == o.minor;
    }

    boolean matches(char t, long maj, long min) {
      return type == t && (major == ANY || major == maj) && (minor == ANY || minor == min);
    }
  }

  /** True if the policy lets everything through: nothing to enforce. */
  public boolean allowsAll() {
    return defaultAllow && exceptions.isEmpty();
  }

  /**
   * The kernel's v1 decision for {@code access} to device {@code type} ('b' or 'c') {@code
   * major:minor}: the reference the generated program is tested against.
   */
  public boolean allows(char type, long major, long minor, int access) {
    for (Entry e : exceptions) {
      if (!e.matches(type, major, minor)) continue;
      if (defaultAllow && (access & e.access()) != 0) return false;
      if (!defaultAllow && (access & ~e.access()) == 0) return true;
    }
    return defaultAllow;
  }
}
