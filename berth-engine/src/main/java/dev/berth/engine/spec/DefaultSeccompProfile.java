package dev.berth.engine.spec;

import dev.berth.engine.spec.SeccompProfile.ArchMap;
import dev.berth.engine.spec.SeccompProfile.Filter;
import dev.berth.engine.spec.SeccompProfile.Rule;
import dev.berth.spec.runtime.SeccompArg;
import java.util.ArrayList;
import java.util.List;

/**
 * The seccomp profile a container gets unless it is privileged or asks otherwise, with the
 * structure of docker's default: everything not listed fails with EPERM; the ordinary syscalls of a
 * process are allowed; what would let a container reach past its namespaces (mount, unshare, setns,
 * clone with namespace flags, bpf, module loading, the clock, reboot, ptrace on old kernels,
 * AF_VSOCK sockets, odd personalities, keyrings) is allowed only with the capability that the
 * kernel would ask for anyway, so a {@code --cap-add} opens both doors at once.
 *
 * <p>Kept here as data, not a JSON resource, so no file is read on {@code berth run}.
 */
public final class DefaultSeccompProfile {
  private DefaultSeccompProfile() {}

  private static final int EPERM = 1;
  private static final int ENOSYS = 38;
  private static final long AF_VSOCK = 40;

  /**
   * CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET: clone may not make
   * namespaces.
   */
  private static final long CLONE_NAMESPACE_FLAGS = 0x7E020000L;

  /**
   * Syscalls every container may make: file and socket I/O, memory, signals, timers, process and
   * thread management without namespaces, credentials changes the kernel checks itself, SysV and
   * POSIX IPC, and their 32-bit and time64 variants.
   */
  private static final String ALLOWED =
      """
      accept accept4 access adjtimex alarm bind brk cachestat capget capset chdir chmod chown chown32
      clock_adjtime clock_adjtime64 clock_getres clock_getres_time64 clock_gettime clock_gettime64 clock_nanosleep
      clock_nanosleep_time64 close close_range connect copy_file_range creat dup dup2 dup3
      epoll_create epoll_create1 epoll_ctl epoll_ctl_old epoll_pwait epoll_pwait2 epoll_wait epoll_wait_old
      eventfd eventfd2 execve execveat exit exit_group faccessat faccessat2 fadvise64 fadvise64_64 fallocate
      fanotify_mark fchdir fchmod fchmodat fchmodat2 fchown fchown32 fchownat fcntl fcntl64 fdatasync fgetxattr
      flistxattr flock fork fremovexattr fsetxattr fstat fstat64 fstatat64 fstatfs fstatfs64 fsync ftruncate
      ftruncate64 futex futex_requeue futex_time64 futex_wait futex_waitv futex_wake futimesat
      getcpu getcwd getdents getdents64 getegid getegid32 geteuid geteuid32 getgid getgid32 getgroups getgroups32
      getitimer getpeername getpgid getpgrp getpid getppid getpriority getrandom getresgid getresgid32 getresuid
      getresuid32 getrlimit get_robust_list getrusage getsid getsockname getsockopt get_thread_area gettid
      gettimeofday getuid getuid32 getxattr inotify_add_watch inotify_init inotify_init1 inotify_rm_watch
      io_cancel ioctl io_destroy io_getevents io_pgetevents io_pgetevents_time64 ioprio_get ioprio_set io_setup
      io_submit ipc kill landlock_add_rule landlock_create_ruleset landlock_restrict_self lchown lchown32
      lgetxattr link linkat listen listxattr llistxattr _llseek lremovexattr lseek lsetxattr lstat lstat64
      madvise map_shadow_stack membarrier memfd_create memfd_secret mincore mkdir mkdirat mknod mknodat mlock mlock2
      mlockall mmap mmap2 mprotect mq_getsetattr mq_notify mq_open mq_timedreceive mq_timedreceive_time64
      mq_timedsend mq_timedsend_time64 mq_unlink mremap msgctl msgget msgrcv msgsnd msync munlock munlockall munmap
      name_to_handle_at nanosleep newfstatat _newselect open openat openat2 pause pidfd_open pidfd_send_signal
      pipe pipe2 pkey_alloc pkey_free pkey_mprotect poll ppoll ppoll_time64 prctl pread64 preadv preadv2 prlimit64
      process_mrelease pselect6 pselect6_time64 pwrite64 pwritev pwritev2 read readahead readlink readlinkat readv
      recv recvfrom recvmmsg recvmmsg_time64 recvmsg remap_file_pages removexattr rename renameat renameat2
      restart_syscall rmdir rseq rt_sigaction rt_sigpending rt_sigprocmask rt_sigqueueinfo rt_sigreturn
      rt_sigsuspend rt_sigtimedwait rt_sigtimedwait_time64 rt_tgsigqueueinfo sched_getaffinity sched_getattr
      sched_getparam sched_get_priority_max sched_get_priority_min sched_getscheduler sched_rr_get_interval
      sched_rr_get_interval_time64 sched_setaffinity sched_setattr sched_setparam sched_setscheduler sched_yield
      seccomp select semctl semget semop semtimedop semtimedop_time64 send sendfile sendfile64 sendmmsg sendmsg
      sendto setfsgid setfsgid32 setfsuid setfsuid32 setgid setgid32 setgroups setgroups32 setitimer setpgid
      setpriority setregid setregid32 setresgid setresgid32 setresuid setresuid32 setreuid setreuid32 setrlimit
      set_robust_list setsid setsockopt set_thread_area set_tid_address setuid setuid32 setxattr shmat shmctl
      shmdt shmget shutdown sigaltstack signalfd signalfd4 sigprocmask sigreturn socketcall socketpair splice stat
      stat64 statfs statfs64 statx symlink symlinkat sync sync_file_range syncfs sysinfo tee tgkill time
      timer_create timer_delete timer_getoverrun timer_gettime timer_gettime64 timer_settime timer_settime64
      timerfd_create timerfd_gettime timerfd_gettime64 timerfd_settime timerfd_settime64 times tkill truncate
      truncate64 ugetrlimit umask uname unlink unlinkat utime utimensat utimensat_time64 utimes vfork vmsplice
      wait4 waitid waitpid write writev
      """;

  private static final SeccompProfile PROFILE = build();

  /** The profile; {@link SeccompProfile#resolve} makes a container's OCI section of it. */
  public static SeccompProfile profile() {
    return PROFILE;
  }

  private static SeccompProfile build() {
    List<Rule> rules = new ArrayList<>();
    rules.add(allow(names(ALLOWED)));
    // Since 4.8 ptrace cannot be used to get around seccomp, so tracing the container's own
    // processes is safe.
    rules.add(
        new Rule(
            List.of("process_vm_readv", "process_vm_writev", "ptrace"),
            "SCMP_ACT_ALLOW",
            null,
            null,
            new Filter(null, null, "4.8"),
            null));
    // Sockets of any family but AF_VSOCK, which reaches the hypervisor's host.
    rules.add(
        new Rule(
            List.of("socket"),
            "SCMP_ACT_ALLOW",
            null,
            List.of(new SeccompArg(0, AF_VSOCK, 0, "SCMP_CMP_NE")),
            null,
            null));
    // personality(2) only with the values programs use (PER_LINUX, PER_LINUX32, UNAME26 of both,
    // and the query).
    for (long persona : new long[] {0x0, 0x8, 0x20000, 0x20008, 0xffffffffL}) {
      rules.add(
          new Rule(
              List.of("personality"),
              "SCMP_ACT_ALLOW",
              null,
              List.of(new SeccompArg(0, persona, 0, "SCMP_CMP_EQ")),
              null,
              null));
    }
    // Architecture specific calls a libc needs.
    rules.add(onArch(List.of("arch_prctl"), "amd64", "x32"));
    rules.add(onArch(List.of("modify_ldt"), "amd64", "x32", "x86"));
    rules.add(
        onArch(
            List.of(
                "arm_fadvise64_64",
                "arm_sync_file_range",
                "sync_file_range2",
                "breakpoint",
                "cacheflush",
                "set_tls"),
            "arm",
            "arm64"));
    rules.add(onArch(List.of("sync_file_range2", "swapcontext"), "ppc64le"));
    rules.add(
        onArch(
            List.of("s390_pci_mmio_read", "s390_pci_mmio_write", "s390_runtime_instr"),
            "s390",
            "s390x"));
    rules.add(onArch(List.of("riscv_flush_icache"), "riscv64"));
    // What capabilities open.
    rules.add(withCap("CAP_DAC_READ_SEARCH", "open_by_handle_at"));
    rules.add(
        withCap(
            "CAP_SYS_ADMIN",
            "bpf",
            "clone",
            "clone3",
            "fanotify_init",
            "fsconfig",
            "fsmount",
            "fsopen",
            "fspick",
            "lookup_dcookie",
            "mount",
            "mount_setattr",
            "move_mount",
            "open_tree",
            "perf_event_open",
            "quotactl",
            "quotactl_fd",
            "setdomainname",
            "sethostname",
            "setns",
            "syslog",
            "umount",
            "umount2",
            "unshare"));
    // Without CAP_SYS_ADMIN: clone only without namespace flags (the flags are argument 1 on
    // s390)...
    rules.add(
        new Rule(
            List.of("clone"),
            "SCMP_ACT_ALLOW",
            null,
            List.of(new SeccompArg(0, CLONE_NAMESPACE_FLAGS, 0, "SCMP_CMP_MASKED_EQ")),
            null,
            new Filter(List.of("CAP_SYS_ADMIN"), List.of("s390", "s390x"), null)));
    rules.add(
        new Rule(
            List.of("clone"),
            "SCMP_ACT_ALLOW",
            null,
            List.of(new SeccompArg(1, CLONE_NAMESPACE_FLAGS, 0, "SCMP_CMP_MASKED_EQ")),
            new Filter(null, List.of("s390", "s390x"), null),
            new Filter(List.of("CAP_SYS_ADMIN"), null, null)));
    // ...and clone3, whose flags are in memory a filter cannot read, says ENOSYS so libcs fall back
    // to clone.
    rules.add(
        new Rule(
            List.of("clone3"),
            "SCMP_ACT_ERRNO",
            ENOSYS,
            null,
            null,
            new Filter(List.of("CAP_SYS_ADMIN"), null, null)));
    rules.add(withCap("CAP_SYS_BOOT", "reboot"));
    rules.add(withCap("CAP_SYS_CHROOT", "chroot"));
    rules.add(withCap("CAP_SYS_MODULE", "delete_module", "init_module", "finit_module"));
    rules.add(withCap("CAP_SYS_PACCT", "acct"));
    rules.add(
        withCap(
            "CAP_SYS_PTRACE",
            "kcmp",
            "pidfd_getfd",
            "process_madvise",
            "process_vm_readv",
            "process_vm_writev",
            "ptrace"));
    rules.add(withCap("CAP_SYS_RAWIO", "iopl", "ioperm"));
    rules.add(withCap("CAP_SYS_TIME", "settimeofday", "stime", "clock_settime", "clock_settime64"));
    rules.add(withCap("CAP_SYS_TTY_CONFIG", "vhangup"));
    rules.add(
        withCap(
            "CAP_SYS_NICE", "get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node"));
    rules.add(withCap("CAP_SYSLOG", "syslog"));
    rules.add(withCap("CAP_BPF", "bpf"));
    rules.add(withCap("CAP_PERFMON", "perf_event_open"));

    List<ArchMap> archMap =
        List.of(
            new ArchMap("SCMP_ARCH_X86_64", List.of("SCMP_ARCH_X86", "SCMP_ARCH_X32")),
            new ArchMap("SCMP_ARCH_AARCH64", List.of("SCMP_ARCH_ARM")),
            new ArchMap("SCMP_ARCH_PPC64LE", List.of("SCMP_ARCH_PPC64", "SCMP_ARCH_PPC")),
            new ArchMap("SCMP_ARCH_S390X", List.of("SCMP_ARCH_S390")),
            new ArchMap("SCMP_ARCH_RISCV64", List.of()),
            new ArchMap("SCMP_ARCH_LOONGARCH64", List.of()));
    return new SeccompProfile("SCMP_ACT_ERRNO", EPERM, null, archMap, null, null, null, rules);
  }

  private static List<String> names(String text) {
    return List.of(text.strip().split("\\s+"));
  }

  private static Rule allow(List<String> names) {
    return new Rule(names, "SCMP_ACT_ALLOW", null, null, null, null);
  }

  private static Rule onArch(List<String> names, String... goArches) {
    return new Rule(
        names, "SCMP_ACT_ALLOW", null, null, new Filter(null, List.of(goArches), null), null);
  }

  private static Rule withCap(String cap, String... names) {
    return new Rule(
        List.of(names), "SCMP_ACT_ALLOW", null, null, new Filter(List.of(cap), null, null), null);
  }
}
