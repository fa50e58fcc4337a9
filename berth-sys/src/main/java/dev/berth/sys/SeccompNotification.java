package dev.berth.sys;

/**
 * One syscall a seccomp filter handed to user space (struct seccomp_notif): the notification's
 * {@code id}, the {@code pid} of the calling thread (in the listener's pid namespace; 0 when it is
 * not visible there), the syscall number {@code nr} for the ABI {@code arch} (an AUDIT_ARCH_*
 * value), and its six raw arguments. The caller waits in the kernel until {@link
 * Linux#seccompNotifySend} answers this {@code id}.
 */
public record SeccompNotification(long id, int pid, int nr, int arch, long[] args) {
  public SeccompNotification {
    args = args.clone();
  }

  @Override
  public long[] args() {
    return args.clone();
  }
}
