package dev.berth.runtime.seccomp;

import java.util.HashMap;
import java.util.Map;

/**
 * A syscall ABI a filter can recognise: the AUDIT_ARCH value the kernel puts in {@code
 * seccomp_data.arch}, whether its syscall arguments are 64 bits wide, and its syscall table. x32
 * shares AUDIT_ARCH_X86_64 with x86_64; its syscall numbers carry the x32 bit (0x40000000) instead.
 */
enum Arch {
  X86_64("SCMP_ARCH_X86_64", 0xC000003E, true),
  X86("SCMP_ARCH_X86", 0x40000003, false),
  X32("SCMP_ARCH_X32", 0xC000003E, true),
  AARCH64("SCMP_ARCH_AARCH64", 0xC00000B7, true);

  /** The bit that marks an x32 syscall number on AUDIT_ARCH_X86_64. */
  static final int X32_SYSCALL_BIT = 0x40000000;

  final String scmpName;
  final int auditArch;

  /**
   * 64-bit arguments: compare both halves. On a 32-bit ABI only the low half carries the value (as
   * libseccomp).
   */
  final boolean wideArgs;

  private Map<String, Integer> numbers;

  Arch(String scmpName, int auditArch, boolean wideArgs) {
    this.scmpName = scmpName;
    this.auditArch = auditArch;
    this.wideArgs = wideArgs;
  }

  /** The ABI named {@code SCMP_ARCH_*}, or null if berth has no syscall table for it. */
  static Arch byScmpName(String name) {
    for (Arch a : values()) if (a.scmpName.equals(name)) return a;
    return null;
  }

  /** The ABI of this JVM's own processes, or null when berth has no table for it. */
  static Arch nativeArch() {
    return switch (System.getProperty("os.arch")) {
      case "amd64", "x86_64" -> X86_64;
      case "aarch64" -> AARCH64;
      default -> null;
    };
  }

  /** The syscall's number in this ABI, or -1 if the ABI has no syscall of that name. */
  int number(String name) {
    Integer n = table().get(name);
    return n == null ? -1 : n;
  }

  private synchronized Map<String, Integer> table() {
    if (numbers == null) {
      String text =
          switch (this) {
            case X86_64 -> SyscallTables.X86_64;
            case X86 -> SyscallTables.X86;
            case X32 -> SyscallTables.X32;
            case AARCH64 -> SyscallTables.AARCH64;
          };
      Map<String, Integer> m = new HashMap<>(1024);
      int start = 0;
      for (int nl; (nl = text.indexOf('\n', start)) >= 0; start = nl + 1) {
        int sp = text.indexOf(' ', start);
        m.put(text.substring(start, sp), Integer.parseInt(text, sp + 1, nl, 10));
      }
      numbers = m;
    }
    return numbers;
  }
}
