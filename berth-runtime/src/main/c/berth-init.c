/*
 * berth-init: runs a Berth launch plan in the window between clone() and execve() of a container process.
 *
 * Java compiles the OCI config into a plan, an ordered list of primitive ops, and sends it over the sync socket.
 * This program checks the whole plan, then runs the ops in order and reports the first failure as (op index, errno,
 * detail). It holds no policy: every path, flag and the order come from the plan. The contract, with the message
 * diagram, is docs/berth-init-protocol.md; the Java side is dev.berth.runtime.plan.
 *
 * Rules for this file:
 * - Single-threaded, and no malloc: static buffers only. After the raw clone glibc's idea of the current thread
 *   (the tid cached in the TCB) is stale, so nothing here may use pthread-aware or locking libc functions.
 * - Every fd is O_CLOEXEC, so a successful execve closes the sync socket (EOF means success, as the JDK's
 *   childproc.c fail pipe) and leaks nothing into the container.
 * - Paths inside the container root are resolved with openat2(RESOLVE_IN_ROOT) and mounted through
 *   /proc/self/fd/N, never joined as strings: a symlink in an image must not reach the host.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

/* The generic syscall numbers (the same on every architecture), for older headers. */
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef SYS_openat2
#define SYS_openat2 437
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef SYS_open_tree
#define SYS_open_tree 428
#endif
#ifndef SYS_move_mount
#define SYS_move_mount 429
#endif
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x04
#endif
#ifndef MOVE_MOUNT_T_EMPTY_PATH
#define MOVE_MOUNT_T_EMPTY_PATH 0x40
#endif
#ifndef MOUNT_ATTR_IDMAP
#define MOUNT_ATTR_IDMAP 0x00100000
#endif
#ifndef SECCOMP_FILTER_FLAG_NEW_LISTENER
#define SECCOMP_FILTER_FLAG_NEW_LISTENER (1UL << 3)
#endif
#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_RAISE 2
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif

#define MAX_PAYLOAD (4u << 20) /* PLAN and GO */
#define MAX_STRS 65535u        /* strings in one array (argv, env, exec candidates) */
#define MAX_BLOBS 64u
#define MAX_GROUPS 65536u      /* NGROUPS_MAX */
#define MAX_CPUS 8192u         /* SCHED_AFFINITY: the kernel's largest NR_CPUS */
#define MAX_NODES 1024u        /* SET_MEMPOLICY: the kernel's largest MAX_NUMNODES */
#define MAX_INSNS 4096u        /* BPF_MAXINSNS */
#define MAX_TREES 512u         /* detached mounts (IDMAP_TREE) waiting for MOVE_MOUNT */
#define NO_OP 0xffffffffu      /* ERROR not tied to an op */
#define NO_BLOB 0xffffffffu    /* RUN_HOOK with an empty stdin */

enum {
  MSG_PLAN = 1, MSG_PID, MSG_GO, MSG_HOOKS, MSG_HOOKS_DONE, MSG_READY, MSG_ERROR, MSG_PTY, MSG_PTY_DONE, MSG_SECCOMP_FD,
  MSG_SECCOMP_DONE
};

/* The opcodes and their names, from the one table the Java side is generated from too. */
enum {
#define OP(number, NAME, text, fields) OP_##NAME = number,
#include "ops.def"
#undef OP
  OP_END
};
#define OP_COUNT OP_END

/* The names PlanText uses, for errors about a malformed plan. */
static const char *const op_names[OP_COUNT] = {
  [0] = "?",
#define OP(number, NAME, text, fields) [number] = text,
#include "ops.def"
#undef OP
};

static int sync_fd = -1;
static int root_fd = -1;     /* ROOT: where in-root paths resolve */
static int fifo_fd = -1;     /* the exec fifo */
static int fifo_dir = -1;    /* /proc/self/fd as OPEN_FIFO found it: the fifo is reopened here even without /proc */
static int cgroup_fd = -1;   /* INTO_CGROUP: the cgroup2 directory CLONE creates the container process in */
static int cloned;           /* in the cloned child: failures exit 127 instead of 1 */
static int dry;              /* while checking the plan: decode every op, run none */
static uint32_t cur_op = NO_OP, cur_code;
static const char *exec_path; /* chosen by RESOLVE_EXEC */
static int trees[MAX_TREES];  /* IDMAP_TREE's detached mounts, by creation order; -1 once moved */
static uint32_t tree_count;

static uint8_t plan_buf[MAX_PAYLOAD];
static uint8_t go_buf[MAX_PAYLOAD];
static uint8_t msg_buf[64];
static struct { const uint8_t *data; uint32_t len; } blobs[MAX_BLOBS];
static uint32_t blob_count;
static char *vec_a[MAX_STRS + 1], *vec_b[MAX_STRS + 1];
static gid_t groups[MAX_GROUPS];
static struct sock_filter filter[MAX_INSNS];
static char path_buf[4096], split_buf[4096];

/* ---- the detail string of an ERROR ---- */

static char detail[4096];
static size_t dlen;

static void d_reset(void) { dlen = 0; detail[0] = 0; }

static void d_str(const char *s) {
  while (s && *s && dlen < sizeof detail - 1) detail[dlen++] = *s++;
  detail[dlen] = 0;
}

static void d_u64(uint64_t v) {
  char b[24];
  int i = sizeof b;
  b[--i] = 0;
  do b[--i] = (char)('0' + v % 10); while ((v /= 10) != 0);
  d_str(b + i);
}

/* ---- the socket ---- */

static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }

/* One frame in as few writes as possible; the PTY frame's header carries the fd. MSG_NOSIGNAL because Java may have
 * closed its end (after READY the create command exits) and a late ERROR must not kill us with SIGPIPE. */
static int send_frame(uint32_t type, const void *payload, uint32_t len, int pass_fd) {
  uint8_t hdr[8];
  put32(hdr, type);
  put32(hdr + 4, len);
  struct iovec iov[2] = {{hdr, 8}, {(void *)payload, len}};
  struct msghdr mh;
  union { char buf[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } ctl;
  memset(&mh, 0, sizeof mh);
  mh.msg_iov = iov;
  mh.msg_iovlen = len ? 2 : 1;
  if (pass_fd >= 0) {
    memset(&ctl, 0, sizeof ctl);
    mh.msg_control = ctl.buf;
    mh.msg_controllen = sizeof ctl.buf;
    struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
  }
  ssize_t n;
  do n = sendmsg(sync_fd, &mh, MSG_NOSIGNAL); while (n < 0 && errno == EINTR);
  if (n < 0) return -1;
  /* A stream socket may take a long frame in pieces. */
  size_t done = (size_t)n, total = 8 + (size_t)len;
  while (done < total) {
    const uint8_t *p = done < 8 ? hdr + done : (const uint8_t *)payload + (done - 8);
    size_t rest = done < 8 ? 8 - done : total - done;
    n = send(sync_fd, p, rest, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    done += (size_t)n;
  }
  return 0;
}

/*
 * A frame without an fd, sent with write(2), not sendmsg: after a no_new_privs filter runc's init writes to its sync
 * pipe but makes no sendmsg, so a profile written for runc may leave sendmsg out (READY, and ERROR when sendmsg was
 * refused). Only while Java listens: a closed peer would raise SIGPIPE.
 */
static int write_frame(uint32_t type, const void *payload, uint32_t len) {
  uint8_t hdr[8];
  put32(hdr, type);
  put32(hdr + 4, len);
  const uint8_t *parts[2] = {hdr, payload};
  size_t sizes[2] = {8, len};
  for (int i = 0; i < 2; i++) {
    for (size_t done = 0; done < sizes[i];) {
      ssize_t n = write(sync_fd, parts[i] + done, sizes[i] - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        if (n == 0) errno = EPIPE;
        return -1;
      }
      done += (size_t)n;
    }
  }
  return 0;
}

/*
 * The words Go (so runc's init) gives the errnos an execve or a hook's spawn ends with, for the one message berth-init
 * writes itself; static strings, since strerror may take gettext's lock, which the rules above forbid after the raw
 * clone. Others print as "errno N".
 */
static const char *errno_text(int err) {
  switch (err) {
  case E2BIG: return "argument list too long";
  case EACCES: return "permission denied";
  case EAGAIN: return "resource temporarily unavailable";
  case EFAULT: return "bad address";
  case EINVAL: return "invalid argument";
  case EIO: return "input/output error";
  case EISDIR: return "is a directory";
  case ELIBBAD: return "accessing a corrupted shared library";
  case ELOOP: return "too many levels of symbolic links";
  case EMFILE: return "too many open files";
  case ENAMETOOLONG: return "file name too long";
  case ENFILE: return "too many open files in system";
  case ENOENT: return "no such file or directory";
  case ENOEXEC: return "exec format error";
  case ENOMEM: return "cannot allocate memory";
  case ENOSYS: return "function not implemented";
  case ENOTDIR: return "not a directory";
  case EPERM: return "operation not permitted";
  case ETXTBSY: return "text file busy";
  default: return NULL;
  }
}

/*
 * Sends ERROR(cur_op, err, detail) and exits 127 in the container process (the runtime reads why), 1 in berth-init.
 * When nobody reads the socket any more (create has returned and start only released the fifo: the execve itself
 * failed, e.g. E2BIG, or a startContainer hook did), the error goes to the container's stderr in runc's words
 * ("exec /bin/id: argument list too long", "error running hook ...") and the process exits 1, as runc 1.1's init.
 */
static _Noreturn void die(int err) {
  static uint8_t m[12 + sizeof detail];
  uint32_t slen = (uint32_t)dlen + 1;
  put32(m, cur_op);
  put32(m + 4, (uint32_t)err);
  put32(m + 8, slen);
  memcpy(m + 12, detail, slen);
  int sent = send_frame(MSG_ERROR, m, 12 + slen, -1) == 0;
  /* Refused (not EPIPE: Java still listens) by a filter that allows what runc's init needs: write. Without
   * MSG_NOSIGNAL there, a runtime gone meanwhile (an exec -d past its READY) would kill us with SIGPIPE before the
   * message below reached stderr. */
  if (!sent && errno != EPIPE) {
    signal(SIGPIPE, SIG_IGN);
    sent = write_frame(MSG_ERROR, m, 12 + slen) == 0;
  }
  if (!sent && cloned) {
    char num[32] = "errno ";
    const char *text = errno_text(err);
    if (text == NULL) {
      char rev[12];
      int n = 0, i = 6;
      uint32_t e = (uint32_t)err;
      do rev[n++] = (char)('0' + e % 10); while ((e /= 10) != 0);
      while (n > 0) num[i++] = rev[--n];
      num[i] = 0;
      text = num;
    }
    const char *what = cur_code == OP_RUN_HOOK ? "error running hook: " : cur_code == OP_EXEC ? "exec " : "berth-init: ";
    struct iovec v[5] = {{(void *)what, strlen(what)}, {detail, dlen}, {(void *)": ", err ? 2 : 0},
                         {(void *)text, err ? strlen(text) : 0}, {(void *)"\n", 1}};
    (void)!writev(2, v, 5);
    _exit(1);
  }
  _exit(cloned ? 127 : 1);
}

static _Noreturn void fail(int err, const char *a, const char *b) {
  d_reset();
  d_str(a);
  d_str(b);
  die(err);
}

static int read_full(int fd, void *buf, size_t n) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = read(fd, (uint8_t *)buf + got, n - got);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return -1;
    if (r == 0) return got == 0 ? 0 : -2;
    got += (size_t)r;
  }
  return 1;
}

/* Reads one frame into buf; returns its payload length. EOF: the runtime is gone and nobody is left to tell. */
static uint32_t recv_msg(uint32_t *type, uint8_t *buf, uint32_t max) {
  uint8_t hdr[8];
  uint32_t len;
  int r = read_full(sync_fd, hdr, 8);
  if (r == 0) _exit(cloned ? 127 : 1);
  if (r < 0) fail(r == -2 ? EPROTO : errno, "read the sync socket", r == -2 ? ": end of stream in a header" : NULL);
  memcpy(type, hdr, 4);
  memcpy(&len, hdr + 4, 4);
  if (len > max) {
    d_reset();
    d_str("message ");
    d_u64(*type);
    d_str(" of ");
    d_u64(len);
    d_str(" bytes is too long");
    die(EMSGSIZE);
  }
  r = read_full(sync_fd, buf, len);
  if (r <= 0) fail(r == -1 ? errno : EPROTO, "read the sync socket", r == -1 ? NULL : ": end of stream in a message");
  return len;
}

static _Noreturn void unexpected(uint32_t type, const char *wanted) {
  d_reset();
  d_str("unexpected message ");
  d_u64(type);
  d_str(" while waiting for ");
  d_str(wanted);
  die(EPROTO);
}

/* ---- decoding the plan: one reader both checks (dry) and decodes for real ---- */

struct rd { const uint8_t *p, *end; };
struct strs { uint32_t n; const uint8_t *at, *end; };

static _Noreturn void malformed(const char *why) {
  d_reset();
  d_str("plan: op ");
  d_u64(cur_op);
  d_str(" (");
  d_str(cur_code > 0 && cur_code < OP_COUNT ? op_names[cur_code] : "unknown opcode ");
  if (cur_code == 0 || cur_code >= OP_COUNT) d_u64(cur_code);
  d_str("): ");
  d_str(why);
  cur_op = NO_OP;
  die(EINVAL);
}

static uint32_t g32(struct rd *r) {
  uint32_t v;
  if (r->end - r->p < 4) malformed("payload shorter than its fields");
  memcpy(&v, r->p, 4);
  r->p += 4;
  return v;
}

static uint64_t g64(struct rd *r) {
  uint64_t v;
  if (r->end - r->p < 8) malformed("payload shorter than its fields");
  memcpy(&v, r->p, 8);
  r->p += 8;
  return v;
}

/* A string stays in the plan buffer: the wire format carries its NUL so we can point into it. */
static const char *gstr(struct rd *r) {
  uint32_t n = g32(r);
  if (n < 1 || (size_t)(r->end - r->p) < n) malformed("string runs past the payload");
  const char *s = (const char *)r->p;
  if (s[n - 1] != 0 || strlen(s) != n - 1) malformed("string is not NUL-terminated or holds a NUL");
  r->p += n;
  return s;
}

static struct strs gstrs(struct rd *r) {
  struct strs a;
  a.n = g32(r);
  if (a.n > MAX_STRS) malformed("more than 65535 strings in an array");
  a.at = r->p;
  for (uint32_t i = 0; i < a.n; i++) gstr(r);
  a.end = r->p;
  return a;
}

/* Points vec at the strings of a (checked) array, NULL-terminated as execve wants. */
static char **fill(struct strs a, char **vec) {
  struct rd r = {a.at, a.end};
  for (uint32_t i = 0; i < a.n; i++) vec[i] = (char *)gstr(&r);
  vec[a.n] = NULL;
  return vec;
}

/* True while checking: the op's fields are decoded and the payload must end exactly there. */
static int done(struct rd *r) {
  if (r->p != r->end) malformed("payload longer than its fields");
  return dry;
}

/* ---- paths inside the root ---- */

/* openat2 that tries again on EAGAIN: with RESOLVE_IN_ROOT or RESOLVE_BENEATH the kernel gives up the walk when a
 * rename or a mount happened anywhere on the system meanwhile (routine on a busy host), and asks to retry. */
static int openat2_retry(int dir, const char *path, struct open_how *how) {
  int fd;
  int tries = 0;
  do fd = (int)syscall(SYS_openat2, dir, path, how, sizeof *how);
  while (fd < 0 && (errno == EAGAIN || errno == EINTR) && ++tries < 128);
  return fd;
}

static int in_root(const char *path, uint64_t flags) {
  struct open_how how;
  memset(&how, 0, sizeof how);
  how.flags = flags | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  return openat2_retry(root_fd, path, &how);
}

static int must_in_root(const char *path, uint64_t flags, const char *what) {
  if (root_fd < 0) fail(EBADF, "no root to resolve ", path);
  int fd = in_root(path, flags);
  if (fd < 0) fail(errno, what, path);
  return fd;
}

#ifndef PROC_SUPER_MAGIC
#define PROC_SUPER_MAGIC 0x9fa0
#endif

static int pivoted;      /* PIVOT_ROOT ran: "/proc" is the container's from here on */
static int proc_checked; /* ... and check_proc found it sound */

/*
 * After PIVOT_ROOT the /proc/self/fd/N paths handed to mount(2) resolve through the container's /proc. It must be a
 * procfs reached without a symlink, with nothing mounted on the way to /proc/self/fd: a volume over /proc (or a bind
 * over /proc/1/fd) holding links named fd/N would send masks and read-only remounts wherever its links point, and leave
 * what they were meant for open (CVE-2019-16884's class). Checked once, before the first such path is used; no other
 * process is in the container's mount namespace yet to change it afterwards.
 */
static int open_proc_self_fd(void) {
  struct statfs sf;
  struct open_how how;
  memset(&how, 0, sizeof how);
  how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
  how.resolve = RESOLVE_NO_SYMLINKS;
  int proc = openat2_retry(AT_FDCWD, "/proc", &how);
  if (proc < 0) fail(errno, "/proc in the container", errno == ELOOP ? ": is a symlink" : NULL);
  if (fstatfs(proc, &sf) < 0) fail(errno, "/proc in the container", NULL);
  if (sf.f_type != PROC_SUPER_MAGIC) fail(EXDEV, "/proc in the container is not procfs", NULL);
  /* "self" is an ordinary symlink to "<pid>" inside procfs: BENEATH allows it; NO_XDEV refuses any mount on the way. */
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS;
  int fds = openat2_retry(proc, "self/fd", &how);
  if (fds < 0) fail(errno, "/proc/self/fd in the container", errno == EXDEV ? ": something is mounted on the way" : NULL);
  if (fstatfs(fds, &sf) < 0 || sf.f_type != PROC_SUPER_MAGIC) fail(EXDEV, "/proc/self/fd in the container is not procfs", NULL);
  close(proc);
  return fds;
}

static void check_proc(void) {
  close(open_proc_self_fd());
  proc_checked = 1;
}

/* "/proc/self/fd/N": how mount(2) gets a path we already resolved safely. */
static const char *fd_path(char buf[32], int fd) {
  if (pivoted && !proc_checked) check_proc();
  char num[12];
  int i = sizeof num;
  num[--i] = 0;
  do num[--i] = (char)('0' + fd % 10); while ((fd /= 10) != 0);
  memcpy(buf, "/proc/self/fd/", 14);
  memcpy(buf + 14, num + i, sizeof num - (size_t)i);
  return buf;
}

/*
 * mkdir -p under ROOT. Each prefix is resolved in-root, so a symlink in it stays inside; only a missing component is
 * created, relative to its resolved parent. A component that is a dangling symlink is replaced by its target (an
 * absolute one from ROOT, a relative one from the symlink's directory) and the walk starts again, so the directories
 * are made where the link leads inside the root, as runc's in-root MkdirAll does; 40 links at most, as the kernel.
 * Returns an O_PATH fd of the directory.
 */
static char link_buf[4096], next_buf[4096];

static int mkdirs_fd(const char *path, mode_t mode) {
  size_t n = strlen(path);
  if (n >= sizeof path_buf) fail(ENAMETOOLONG, path, NULL);
  memcpy(path_buf, path, n + 1);
  int links = 0;
restart:;
  int dir = must_in_root("/", O_PATH | O_DIRECTORY, "");
  char *p = path_buf;
  for (;;) {
    while (*p == '/') p++;
    if (!*p) break;
    char *e = p;
    while (*e && *e != '/') e++;
    char save = *e;
    *e = 0; /* path_buf is now the prefix ending with this component */
    int fd = in_root(path_buf, O_PATH | O_DIRECTORY);
    if (fd < 0 && errno == ENOENT) {
      if (mkdirat(dir, p, mode) == 0) {
        fd = in_root(path_buf, O_PATH | O_DIRECTORY);
      } else if (errno != EEXIST) {
        fail(errno, "mkdir ", path_buf);
      } else {
        ssize_t ln = readlinkat(dir, p, link_buf, sizeof link_buf - 1);
        if (ln <= 0) {
          fail(ENOENT, path_buf, NULL);
        }
        if (++links > 40) fail(ELOOP, path, NULL);
        link_buf[ln] = 0;
        /* next = (absolute target, or the link's directory + "/" + target) + the rest of the path */
        size_t at = 0, dl = link_buf[0] == '/' ? 0 : (size_t)(p - path_buf);
        const char *rest = save ? e + 1 : "";
        if (dl + (size_t)ln + 1 + strlen(rest) + 1 > sizeof next_buf) fail(ENAMETOOLONG, path, NULL);
        memcpy(next_buf, path_buf, dl);
        at = dl;
        memcpy(next_buf + at, link_buf, (size_t)ln);
        at += (size_t)ln;
        next_buf[at++] = '/';
        memcpy(next_buf + at, rest, strlen(rest) + 1);
        memcpy(path_buf, next_buf, strlen(next_buf) + 1);
        close(dir);
        goto restart;
      }
    }
    if (fd < 0) fail(errno, path_buf, NULL);
    close(dir);
    dir = fd;
    *e = save;
    p = e;
  }
  return dir;
}

/* The parent directory (created like MKDIRS, mode 0755) and last component of an in-root path. */
static int parent_of(const char *path, const char **base) {
  size_t n = strlen(path);
  if (n >= sizeof split_buf) fail(ENAMETOOLONG, path, NULL);
  memcpy(split_buf, path, n + 1);
  while (n > 1 && split_buf[n - 1] == '/') split_buf[--n] = 0;
  char *slash = strrchr(split_buf, '/');
  const char *parent = "/";
  *base = split_buf;
  if (slash) {
    *slash = 0;
    *base = slash + 1;
    if (slash != split_buf) parent = split_buf;
  }
  if (!**base || !strcmp(*base, ".") || !strcmp(*base, "..")) fail(EINVAL, "no file name in ", path);
  return mkdirs_fd(parent, 0755);
}

/* Flags a remount must keep: the kernel refuses to clear locked ones in a user namespace (mount_namespaces(7)). */
static uint64_t locked_flags(unsigned long f, uint64_t want) {
  uint64_t l = 0;
  if (f & ST_NOSUID) l |= MS_NOSUID;
  if (f & ST_NODEV) l |= MS_NODEV;
  if (f & ST_NOEXEC) l |= MS_NOEXEC;
  if (f & ST_NODIRATIME) l |= MS_NODIRATIME;
  if (!(want & (MS_NOATIME | MS_RELATIME | MS_STRICTATIME))) {
    if (f & ST_NOATIME) l |= MS_NOATIME;
    else if (f & ST_RELATIME) l |= MS_RELATIME;
    else l |= MS_STRICTATIME;
  }
  return l;
}

/* ---- ops ---- */

/* SETNS paths are opened while the plan is checked, before any op runs, with the caller's credentials (as runc's
 * nsexec opens every namespace first): once a user namespace is joined, opening the /proc/<pid>/ns files of a process that
 * is not dumpable (a container init before its exec) is refused. The n-th SETNS of the plan uses setns_fds[n]. */
#define MAX_SETNS 16
static int setns_fds[MAX_SETNS];
static uint32_t setns_count; /* SETNS ops seen in the current pass */

static void open_setns(const char *path) {
  if (setns_count >= MAX_SETNS) malformed("more than 16 SETNS ops");
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail(errno, path, NULL);
  setns_fds[setns_count++] = fd;
}

static void op_setns(uint32_t type, const char *path) {
  int fd = setns_fds[setns_count++];
  if (setns(fd, (int)type) < 0) fail(errno, path, NULL);
  close(fd);
}

/* Moves this process, which is single-threaded, into a cgroup v1 hierarchy: "0" written to a cgroup's "tasks" file
 * moves the writer alone, and the kernel then skips the threadgroup lock whose write side (a pid written to
 * cgroup.procs) waits for an RCU grace period. The container process cloned next inherits the cgroup. */
static void op_join_cgroup(const char *tasks) {
  int fd = open(tasks, O_WRONLY | O_CLOEXEC);
  if (fd < 0) fail(errno, tasks, NULL);
  if (write(fd, "0", 1) != 1) {
    int e = errno;
    close(fd);
    fail(e, tasks, NULL);
  }
  close(fd);
}

static void op_into_cgroup(const char *dir) {
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) fail(errno, dir, NULL);
  if (cgroup_fd >= 0) close(cgroup_fd);
  cgroup_fd = fd;
}

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

/* Fork-like clone3 (no stack: the child runs on a copy of ours). CLONE_PARENT makes the container process a child
 * of the JVM, which reaps it; with CLONE_PARENT the kernel takes our exit signal and wants exit_signal 0. After
 * INTO_CGROUP the process is created in that cgroup2 directory (struct clone_args' cgroup field, Linux 5.7). */
static void op_clone(uint64_t flags) {
  struct {
    uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size, cgroup;
  } args;
  memset(&args, 0, sizeof args);
  args.flags = flags | CLONE_PARENT;
  size_t size = 64; /* CLONE_ARGS_SIZE_VER0: what every kernel with clone3 takes */
  if (cgroup_fd >= 0) {
    args.flags |= CLONE_INTO_CGROUP;
    args.cgroup = (uint64_t)cgroup_fd;
    size = sizeof args; /* CLONE_ARGS_SIZE_VER2 */
  }
  long pid = syscall(SYS_clone3, &args, size);
  if (pid < 0 && errno == ENOSYS) {
    if (cgroup_fd >= 0) fail(ENOSYS, "clone3 is not available to clone into a cgroup", NULL);
    /* clone(2) keeps the exit signal in the low byte, so CLONE_NEWTIME (0x80) and high flags need clone3. */
    if ((flags >> 32) || (flags & 0xff)) fail(ENOSYS, "clone3 is not available for these flags", NULL);
    pid = syscall(SYS_clone, (unsigned long)(flags | CLONE_PARENT | SIGCHLD), 0, NULL, NULL, 0);
  }
  /* Before Linux 5.7 the larger struct is refused as too big. */
  if (pid < 0 && cgroup_fd >= 0 && errno == E2BIG) fail(errno, "cloning into a cgroup needs Linux 5.7", NULL);
  if (pid < 0) fail(errno, NULL, NULL);
  if (pid == 0) {
    cloned = 1;
    /* The host's cgroup directory must never be open in the container process (CVE-2024-21626: a cwd of
     * /proc/self/fd/N would land on the host). */
    if (cgroup_fd >= 0) close(cgroup_fd);
    cgroup_fd = -1;
    return;
  }
  uint32_t p = (uint32_t)pid;
  _exit(send_frame(MSG_PID, &p, 4, -1) < 0 ? 1 : 0);
}

/* "/proc/<pid>/<name>" */
static const char *proc_path(char buf[64], long pid, const char *name) {
  char num[24];
  int i = sizeof num;
  num[--i] = 0;
  do num[--i] = (char)('0' + pid % 10); while ((pid /= 10) != 0);
  size_t n = strlen(name);
  memcpy(buf, "/proc/", 6);
  memcpy(buf + 6, num + i, sizeof num - 1 - (size_t)i);
  size_t at = 6 + sizeof num - 1 - (size_t)i;
  buf[at++] = '/';
  memcpy(buf + at, name, n + 1);
  return buf;
}

static int write_map(long pid, const char *name, const char *map) {
  char buf[64];
  int fd = open(proc_path(buf, pid, name), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  size_t n = strlen(map);
  ssize_t w = write(fd, map, n);
  int err = errno;
  close(fd);
  if (w == (ssize_t)n) return 0;
  errno = w < 0 ? err : EIO;
  return -1;
}

/*
 * A user namespace with these maps, as an fd: mount_setattr wants one to idmap a mount, and only a process can own a
 * namespace while its maps are written. The helper is born in it, waits to be killed and dies with us if we fail.
 */
static int userns_with(const char *uid_map, const char *gid_map) {
  pid_t parent = getpid();
  long pid = syscall(SYS_clone, (unsigned long)(CLONE_NEWUSER | SIGCHLD), 0, NULL, NULL, 0);
  if (pid < 0) fail(errno, "clone a user namespace for the idmapping", NULL);
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    if (getppid() != parent) _exit(0);
    for (;;) pause();
  }
  char buf[64];
  const char *what = "write uid_map of the idmapping's user namespace";
  int fd = -1, err = 0;
  if (write_map(pid, "uid_map", uid_map) == 0) {
    what = "write gid_map of the idmapping's user namespace";
    if (write_map(pid, "gid_map", gid_map) == 0) {
      what = "open the idmapping's user namespace";
      fd = open(proc_path(buf, pid, "ns/user"), O_RDONLY | O_CLOEXEC);
    }
  }
  if (fd < 0) err = errno;
  kill((pid_t)pid, SIGKILL);
  while (waitpid((pid_t)pid, NULL, 0) < 0 && errno == EINTR) {}
  if (fd < 0) fail(err, what, NULL);
  return fd;
}

/*
 * A detached copy of the host's src (its submounts too with clone_tree), idmapped through a user namespace with these
 * maps (the submounts too with idmap_tree). It is made here, before CLONE, because mount_setattr needs CAP_SYS_ADMIN
 * over the source's mount namespace: the host's. MOVE_MOUNT attaches it in the container.
 */
static void op_idmap_tree(const char *src, uint32_t clone_tree, uint32_t idmap_tree, const char *uid_map,
                          const char *gid_map) {
  if (tree_count >= MAX_TREES) fail(EMFILE, "more than 512 detached mounts", NULL);
  unsigned rec = idmap_tree ? AT_RECURSIVE : 0;
  int fd = (int)syscall(SYS_open_tree, AT_FDCWD, src, OPEN_TREE_CLONE | O_CLOEXEC | (clone_tree ? AT_RECURSIVE : 0));
  if (fd < 0) fail(errno, "open_tree ", src);
  if (!*uid_map && !*gid_map) { /* a plain copy: taken with our credentials, attached by the container */
    trees[tree_count++] = fd;
    return;
  }
  int ns = userns_with(uid_map, gid_map);
  struct { uint64_t attr_set, attr_clr, propagation, userns_fd; } attr = {MOUNT_ATTR_IDMAP, 0, 0, (uint64_t)ns};
  if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | rec, &attr, sizeof attr) < 0) {
    /* EINVAL: the source's filesystem cannot be idmapped (or the mount is already idmapped). */
    fail(errno, "mount_setattr idmap ", src);
  }
  close(ns);
  trees[tree_count++] = fd;
}

static void op_move_mount(uint32_t index, const char *dst) {
  if (index >= tree_count || trees[index] < 0) fail(EBADF, "no detached mount to move onto ", dst);
  int tfd = must_in_root(dst, O_PATH, "target ");
  if (syscall(SYS_move_mount, trees[index], "", tfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0) {
    fail(errno, "target ", dst);
  }
  close(tfd);
  close(trees[index]);
  trees[index] = -1;
}

static void op_wait_go(void) {
  uint32_t type, len = recv_msg(&type, go_buf, MAX_PAYLOAD);
  if (type != MSG_GO) unexpected(type, "go");
  const uint8_t *p = go_buf, *end = go_buf + len;
  uint32_t n, blen;
  if (len < 4) fail(EPROTO, "go message: no blob count", NULL);
  memcpy(&n, p, 4);
  p += 4;
  if (n > MAX_BLOBS) fail(E2BIG, "go message: more than 64 blobs", NULL);
  for (uint32_t i = 0; i < n; i++) {
    if (end - p < 4) fail(EPROTO, "go message: blob runs past the payload", NULL);
    memcpy(&blen, p, 4);
    p += 4;
    if ((size_t)(end - p) < blen) fail(EPROTO, "go message: blob runs past the payload", NULL);
    blobs[i].data = p;
    blobs[i].len = blen;
    p += blen;
  }
  if (p != end) fail(EPROTO, "go message: bytes after the last blob", NULL);
  blob_count = n;
}

static void op_set_root(const char *path) {
  int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) fail(errno, path, NULL);
  if (root_fd >= 0) close(root_fd);
  root_fd = fd;
}

static void op_mount(uint32_t src_in, uint32_t dst_in, const char *src, const char *dst, const char *fstype,
                     uint64_t flags, const char *data) {
  char sbuf[32], tbuf[32];
  int sfd = -1, tfd = -1;
  const char *s = *src ? src : NULL, *t = dst;
  if (src_in && s) s = fd_path(sbuf, sfd = must_in_root(src, O_PATH, "source "));
  if (dst_in) t = fd_path(tbuf, tfd = must_in_root(dst, O_PATH, "target "));
  if (mount(s, t, *fstype ? fstype : NULL, (unsigned long)flags, *data ? data : NULL) < 0) fail(errno, NULL, NULL);
  if (sfd >= 0) close(sfd);
  if (tfd >= 0) close(tfd);
}

static void op_mkdirs(const char *path, uint32_t mode) {
  close(mkdirs_fd(path, mode));
}

static void op_mkfile(const char *path, uint32_t mode) {
  const char *base;
  int dir = parent_of(path, &base);
  int fd = openat(dir, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, mode);
  if (fd < 0 && errno != EEXIST) fail(errno, path, NULL);
  if (fd >= 0) close(fd);
  close(dir);
}

static void op_mknod(const char *path, uint32_t mode, uint32_t major, uint32_t minor, uint32_t uid, uint32_t gid) {
  const char *base;
  struct stat st;
  int dir = parent_of(path, &base);
  if (fstatat(dir, base, &st, AT_SYMLINK_NOFOLLOW) == 0) {
    /* As runc 1.4: a node the rootfs already has is kept when it is the device asked for, and refused otherwise;
     * never a file of the image removed to make room. */
    if ((st.st_mode & S_IFMT) != (mode & S_IFMT)) {
      d_reset();
      d_str(path);
      d_str(" has incorrect ftype");
      die(0);
    }
    if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
      if (major(st.st_rdev) != major || minor(st.st_rdev) != minor) {
        d_reset();
        d_str(path);
        d_str(" has incorrect major:minor: ");
        d_u64(major(st.st_rdev));
        d_str(":");
        d_u64(minor(st.st_rdev));
        d_str(" doesn't match expected ");
        d_u64(major);
        d_str(":");
        d_u64(minor);
        die(0);
      }
    }
    /* Its permissions are the spec's, not the image's: an image must not widen who may use a device. */
    if (fchmodat(dir, base, mode & 07777, 0) < 0) fail(errno, "chmod ", path);
  } else if (mknodat(dir, base, mode, makedev(major, minor)) < 0) {
    fail(errno, path, NULL);
  }
  if (fchownat(dir, base, uid, gid, AT_SYMLINK_NOFOLLOW) < 0) fail(errno, "chown ", path);
  close(dir);
}

static void op_symlink(const char *target, const char *link) {
  const char *base;
  int dir = parent_of(link, &base);
  if (symlinkat(target, dir, base) < 0 && errno != EEXIST) fail(errno, link, NULL);
  close(dir);
}

static void op_mask(const char *path) {
  char tbuf[32], sbuf[32];
  struct stat st;
  if (root_fd < 0) fail(EBADF, "no root to resolve ", path);
  int fd = in_root(path, O_PATH);
  if (fd < 0 && errno == ENOENT) return;
  if (fd < 0 || fstat(fd, &st) < 0) fail(errno, path, NULL);
  if (S_ISDIR(st.st_mode)) {
    /* One read-only tmpfs for every masked directory, bound onto the others, as runc 1.2+ does: a superblock per
     * masked path costs the kernel for nothing. */
    static int masks_tmpfs = -1;
    if (masks_tmpfs < 0) {
      if (mount("tmpfs", fd_path(tbuf, fd), "tmpfs", MS_RDONLY, NULL) < 0) fail(errno, NULL, NULL);
      masks_tmpfs = must_in_root(path, O_PATH | O_DIRECTORY, "");
    } else {
      if (mount(fd_path(sbuf, masks_tmpfs), fd_path(tbuf, fd), NULL, MS_BIND, NULL) < 0) fail(errno, NULL, NULL);
      int bound = must_in_root(path, O_PATH | O_DIRECTORY, "");
      if (mount(NULL, fd_path(tbuf, bound), NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) < 0) fail(errno, NULL, NULL);
      close(bound);
    }
  } else {
    /* A /dev/null replaced by the image (or a racing process) must not turn the mask into a writable bind. */
    int nul = must_in_root("/dev/null", O_PATH, "");
    if (fstat(nul, &st) < 0) fail(errno, "/dev/null", NULL);
    if (!S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3)) fail(EPERM, "/dev/null is not the null device", NULL);
    if (mount(fd_path(sbuf, nul), fd_path(tbuf, fd), NULL, MS_BIND, NULL) < 0) fail(errno, NULL, NULL);
    close(nul);
  }
  close(fd);
}

static void op_remount(uint32_t in, const char *target, uint64_t flags) {
  char tbuf[32];
  struct statfs sf;
  /* Opened after the mount it changes, so the fd is the new mount, not what it covers. */
  int fd = in ? must_in_root(target, O_PATH, "") : open(target, O_PATH | O_CLOEXEC);
  if (fd < 0 || fstatfs(fd, &sf) < 0) fail(errno, target, NULL);
  flags |= locked_flags((unsigned long)sf.f_flags, flags);
  if (mount(NULL, fd_path(tbuf, fd), NULL, (unsigned long)flags, NULL) < 0) fail(errno, NULL, NULL);
  close(fd);
}

static void op_readonly(const char *path) {
  char b[32];
  if (root_fd < 0) fail(EBADF, "no root to resolve ", path);
  int fd = in_root(path, O_PATH);
  if (fd < 0 && errno == ENOENT) return;
  if (fd < 0) fail(errno, path, NULL);
  fd_path(b, fd);
  if (mount(b, b, NULL, MS_BIND | MS_REC, NULL) < 0) fail(errno, NULL, NULL);
  close(fd);
  op_remount(1, path, MS_BIND | MS_REMOUNT | MS_RDONLY);
}

static void op_mount_setattr(uint32_t in, const char *target, uint64_t set, uint64_t clr) {
  struct { uint64_t attr_set, attr_clr, propagation, userns_fd; } attr = {set, clr, 0, 0};
  int fd = in ? must_in_root(target, O_PATH, "") : open(target, O_PATH | O_CLOEXEC);
  if (fd < 0) fail(errno, target, NULL);
  if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) < 0) fail(errno, target, NULL);
  close(fd);
}

static void op_umount(const char *target, uint32_t cover) {
  if (umount2(target, MNT_DETACH) == 0 || errno == ENOENT) return;
  if (!cover || (errno != EINVAL && errno != EPERM)) fail(errno, target, NULL);
  if (mount("tmpfs", target, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0") < 0) {
    fail(errno, "cover ", target);
  }
}

/*
 * tmpcopyup (COPY_SOURCE, then the tmpfs MOUNT, then COPY_TREE): the image's content at a tmpfs mount's destination is
 * copied into the new tmpfs. COPY_SOURCE opens the directory before the mount covers it; the fd keeps reaching the
 * covered directory afterwards. The walk goes through directory fds only, opening nothing with a path of more than
 * one component and following no symlink (they are copied as links), so nothing outside the covered tree is read or
 * written, whatever the image's links say.
 */
static int copy_src = -1;          /* COPY_SOURCE's directory, until COPY_TREE */
static char copy_path[4096];       /* the entry being copied, for errors: the destination + the relative path */
static size_t copy_len;
static uint8_t copy_buf[65536];    /* file data */
static char xattr_names[65536], xattr_value[65536];
#define COPY_MAX_DEPTH 256         /* directories below the destination; deeper trees fail with ELOOP */

static _Noreturn void copy_fail(int err, const char *what) { fail(err, what, copy_path); }

/* The extended attributes of one file (a directory or regular file, by fd): security.capability, ACLs, user.*. One
 * the target filesystem or our privileges cannot hold (trusted.* in a user namespace; user.* on an old tmpfs) is left
 * out, as a copy with cp -a leaves it. */
static void copy_xattrs(int from, int to) {
  ssize_t n = flistxattr(from, xattr_names, sizeof xattr_names);
  if (n < 0) {
    if (errno == ENOTSUP) return;
    copy_fail(errno, "list the extended attributes of ");
  }
  for (ssize_t at = 0; at < n; at += (ssize_t)strlen(xattr_names + at) + 1) {
    const char *name = xattr_names + at;
    ssize_t v = fgetxattr(from, name, xattr_value, sizeof xattr_value);
    if (v < 0) {
      if (errno == ENODATA || errno == ENOTSUP) continue;
      copy_fail(errno, "read an extended attribute of ");
    }
    if (fsetxattr(to, name, xattr_value, (size_t)v, 0) < 0 && errno != ENOTSUP && errno != EPERM) {
      copy_fail(errno, "set an extended attribute on ");
    }
  }
}

/* Owner, then mode (a chown clears setuid bits and file capabilities), then xattrs, then times. fd < 0: by name in
 * dir without following a link (symlinks and nodes, whose xattrs are not copied). */
static void copy_meta(int dir, const char *name, int from, int to, const struct stat *st) {
  struct timespec times[2] = {st->st_atim, st->st_mtim};
  if (to >= 0) {
    if (fchown(to, st->st_uid, st->st_gid) < 0) copy_fail(errno, "chown ");
    if (fchmod(to, st->st_mode & 07777) < 0) copy_fail(errno, "chmod ");
    copy_xattrs(from, to);
    if (futimens(to, times) < 0) copy_fail(errno, "set the times of ");
    return;
  }
  if (fchownat(dir, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0) copy_fail(errno, "chown ");
  if (!S_ISLNK(st->st_mode) && fchmodat(dir, name, st->st_mode & 07777, 0) < 0) copy_fail(errno, "chmod ");
  if (utimensat(dir, name, times, AT_SYMLINK_NOFOLLOW) < 0) copy_fail(errno, "set the times of ");
}

static void copy_file(int from, int to) {
  for (;;) {
    ssize_t r = read(from, copy_buf, sizeof copy_buf);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) copy_fail(errno, "read ");
    if (r == 0) return;
    for (ssize_t w = 0; w < r;) {
      ssize_t k = write(to, copy_buf + w, (size_t)(r - w));
      if (k < 0 && errno == EINTR) continue;
      if (k < 0) copy_fail(errno, "write ");
      w += k;
    }
  }
}

struct dirent64_hdr {
  uint64_t ino;
  int64_t off;
  unsigned short reclen;
  unsigned char type;
  char name[];
};

static void copy_dir(int from, int to, int depth);

static void copy_entry(int from, int to, const char *name, int depth) {
  struct stat st;
  size_t save = copy_len, nl = strlen(name);
  if (copy_len + 1 + nl >= sizeof copy_path) copy_fail(ENAMETOOLONG, "copy ");
  copy_path[copy_len++] = '/';
  memcpy(copy_path + copy_len, name, nl + 1);
  copy_len += nl;
  if (fstatat(from, name, &st, AT_SYMLINK_NOFOLLOW) < 0) copy_fail(errno, "stat ");
  if (S_ISDIR(st.st_mode) || S_ISREG(st.st_mode)) {
    int dir = S_ISDIR(st.st_mode);
    if (dir && depth >= COPY_MAX_DEPTH) copy_fail(ELOOP, "more than 256 directories deep: ");
    int s = openat(from, name, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC | (dir ? O_DIRECTORY : 0));
    struct stat again;
    if (s < 0) copy_fail(errno, "open ");
    /* The same kind of file as the stat said (a swap between the two would otherwise open a fifo or a device). */
    if (fstat(s, &again) < 0 || (again.st_mode & S_IFMT) != (st.st_mode & S_IFMT)) copy_fail(EAGAIN, "changed while copied: ");
    if (dir && mkdirat(to, name, 0700) < 0) copy_fail(errno, "mkdir ");
    int d = dir ? openat(to, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                : openat(to, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0600);
    if (d < 0) copy_fail(errno, "create ");
    if (dir) copy_dir(s, d, depth + 1);
    else copy_file(s, d);
    copy_meta(to, name, s, d, &again);
    close(d);
    close(s);
  } else if (S_ISLNK(st.st_mode)) {
    ssize_t n = readlinkat(from, name, link_buf, sizeof link_buf - 1);
    if (n < 0) copy_fail(errno, "readlink ");
    link_buf[n] = 0;
    if (symlinkat(link_buf, to, name) < 0) copy_fail(errno, "symlink ");
    copy_meta(to, name, -1, -1, &st);
  } else {
    /* devices, fifos, sockets: the node itself (a device needs CAP_MKNOD in the host's user namespace) */
    if (mknodat(to, name, st.st_mode & (S_IFMT | 07777), st.st_rdev) < 0) copy_fail(errno, "mknod ");
    copy_meta(to, name, -1, -1, &st);
  }
  copy_len = save;
  copy_path[copy_len] = 0;
}

static void copy_dir(int from, int to, int depth) {
  /* getdents64 on a buffer of this level's own: the walk recurses while it reads, and needs no malloc. */
  _Alignas(8) char buf[2048];
  if (lseek(from, 0, SEEK_SET) < 0) copy_fail(errno, "read the directory ");
  for (;;) {
    long n = syscall(SYS_getdents64, from, buf, sizeof buf);
    if (n < 0) copy_fail((int)errno, "read the directory ");
    if (n == 0) return;
    for (long at = 0; at < n;) {
      struct dirent64_hdr *e = (struct dirent64_hdr *)(buf + at);
      at += e->reclen;
      if (!strcmp(e->name, ".") || !strcmp(e->name, "..")) continue;
      copy_entry(from, to, e->name, depth);
    }
  }
}

static void op_copy_source(const char *path) {
  if (copy_src >= 0) close(copy_src);
  copy_src = must_in_root(path, O_RDONLY | O_DIRECTORY, "");
}

static void op_copy_tree(const char *path) {
  struct stat src, dst;
  if (copy_src < 0) fail(EBADF, "no copy source for ", path);
  int to = must_in_root(path, O_RDONLY | O_DIRECTORY, "");
  if (fstat(copy_src, &src) < 0 || fstat(to, &dst) < 0) fail(errno, path, NULL);
  /* Only into what was mounted over the source: never a directory into itself. */
  if (src.st_dev == dst.st_dev) fail(EINVAL, path, ": nothing new is mounted there to copy into");
  size_t n = strlen(path);
  if (n >= sizeof copy_path) fail(ENAMETOOLONG, path, NULL);
  memcpy(copy_path, path, n + 1);
  copy_len = n;
  while (copy_len > 0 && copy_path[copy_len - 1] == '/') copy_path[--copy_len] = 0;
  copy_dir(copy_src, to, 0);
  copy_len = n;
  memcpy(copy_path, path, n + 1);
  /* The tmpfs's root: the directory's owner and xattrs; its mode is the mount's (mode=, the directory's by default). */
  if (fchown(to, src.st_uid, src.st_gid) < 0) copy_fail(errno, "chown ");
  copy_xattrs(copy_src, to);
  close(to);
  close(copy_src);
  copy_src = -1;
}

enum { ROOT_PIVOT, ROOT_MOVE_AND_CHROOT, ROOT_CHROOT };

static void op_pivot_root(uint32_t mode) {
  if (root_fd < 0) fail(EBADF, "no root to pivot to", NULL);
  if (mode == ROOT_CHROOT) {
    /* The mount namespace is the runtime's: nothing may move in it. */
    if (fchdir(root_fd) < 0) fail(errno, "fchdir to the root", NULL);
    if (chroot(".") < 0) fail(errno, "chroot", NULL);
  } else if (mode == ROOT_MOVE_AND_CHROOT) {
    if (fchdir(root_fd) < 0) fail(errno, "fchdir to the root", NULL);
    if (mount(".", "/", NULL, MS_MOVE, NULL) < 0) fail(errno, "move the root onto /", NULL);
    if (chroot(".") < 0) fail(errno, "chroot", NULL);
  } else {
    int old = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (old < 0) fail(errno, "open the old root", NULL);
    if (fchdir(root_fd) < 0) fail(errno, "fchdir to the root", NULL);
    if (syscall(SYS_pivot_root, ".", ".") < 0) fail(errno, "pivot_root", NULL);
    /* The old root is now stacked on ".": step onto it explicitly, make it a slave so the detach below cannot
     * propagate to the host's mounts, then drop it. */
    if (fchdir(old) < 0) fail(errno, "fchdir to the old root", NULL);
    if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0) fail(errno, "make the old root rslave", NULL);
    if (umount2(".", MNT_DETACH) < 0) fail(errno, "detach the old root", NULL);
    close(old);
  }
  if (chdir("/") < 0) fail(errno, "chdir /", NULL);
  pivoted = 1;
  close(root_fd);
  root_fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root_fd < 0) fail(errno, "open the new root", NULL);
}

/*
 * Only files of procfs are written (sysctls, time offsets): the path is resolved beneath a /proc that must be procfs,
 * without magic links and without crossing into another mount, so a mount or symlink over /proc/sys cannot redirect
 * the write to another file (the class of CVE-2025-52881).
 */
static void op_write_file(const char *path, const char *content) {
  size_t len = strlen(content), off = 0;
  struct statfs sf;
  if (strncmp(path, "/proc/", 6) != 0) fail(EINVAL, path, ": not under /proc");
  int proc = open("/proc", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (proc < 0 || fstatfs(proc, &sf) < 0) fail(errno, "/proc", NULL);
  if (sf.f_type != PROC_SUPER_MAGIC) fail(EXDEV, path, ": /proc is not procfs");
  struct open_how how;
  memset(&how, 0, sizeof how);
  how.flags = O_WRONLY | O_NOCTTY | O_CLOEXEC;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS;
  int fd = openat2_retry(proc, path + 6, &how);
  if (fd < 0) fail(errno, path, NULL);
  close(proc);
  while (off < len) {
    ssize_t n = write(fd, content + off, len - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail(n < 0 ? errno : EIO, path, NULL);
    off += (size_t)n;
  }
  close(fd);
}

static void op_setrlimit(uint32_t resource, uint64_t soft, uint64_t hard) {
  struct { uint64_t cur, max; } lim = {soft, hard};
  if (syscall(SYS_prlimit64, 0, resource, &lim, NULL) < 0) fail(errno, NULL, NULL);
}

/* ---- scheduling: the process's execution domain, priorities, CPUs and NUMA policy ---- */

static unsigned long bits[MAX_CPUS / (8 * sizeof(unsigned long))];

/* Reads a u32s list of CPU or node numbers below max into bits; with fill, an empty list sets every bit. */
static void get_bits(struct rd *r, uint32_t max, int fill_empty, uint32_t *highest) {
  uint32_t n = g32(r);
  if (n > max) malformed("more numbers than the limit");
  memset(bits, fill_empty && n == 0 ? 0xff : 0, sizeof bits);
  *highest = 0;
  for (uint32_t i = 0; i < n; i++) {
    uint32_t b = g32(r);
    if (b >= max) malformed("a CPU or node number above the limit");
    bits[b / (8 * sizeof(unsigned long))] |= 1UL << (b % (8 * sizeof(unsigned long)));
    if (b > *highest) *highest = b;
  }
}

static void op_sched_setattr(uint32_t policy, uint64_t flags, uint32_t nice, uint32_t priority, uint64_t runtime,
                             uint64_t deadline, uint64_t period) {
  /* struct sched_attr as of Linux 3.14 (SCHED_ATTR_SIZE_VER0): no uclamp fields. */
  struct {
    uint32_t size, policy;
    uint64_t flags;
    int32_t nice;
    uint32_t priority;
    uint64_t runtime, deadline, period;
  } attr = {48, policy, flags, (int32_t)nice, priority, runtime, deadline, period};
  if (syscall(SYS_sched_setattr, 0, &attr, 0) < 0) fail(errno, NULL, NULL);
}

static void op_set_mempolicy(uint32_t mode, uint32_t n, uint32_t highest) {
  /* maxnode counts one past the bits the kernel reads (set_mempolicy(2)). */
  if (syscall(SYS_set_mempolicy, mode, n ? bits : NULL, n ? (unsigned long)highest + 2 : 0UL) < 0)
    fail(errno, NULL, NULL);
}

static void op_sync_hooks(void) {
  uint32_t type;
  if (send_frame(MSG_HOOKS, NULL, 0, -1) < 0) fail(errno, "send hooks", NULL);
  recv_msg(&type, msg_buf, sizeof msg_buf);
  if (type != MSG_HOOKS_DONE) unexpected(type, "hooks-done");
}

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int left_ms(int64_t deadline) {
  if (deadline < 0) return -1;
  int64_t left = deadline - now_ms();
  return left < 0 ? 0 : (int)left;
}

static void op_run_hook(uint32_t blob, uint32_t timeout_ms, const char *path, struct strs args, struct strs env) {
  const uint8_t *data = NULL;
  uint32_t len = 0;
  if (blob != NO_BLOB) {
    if (blob >= blob_count) fail(EINVAL, "no state blob for hook ", path);
    data = blobs[blob].data;
    len = blobs[blob].len;
  }
  fill(args, vec_a);
  fill(env, vec_b);
  int in[2], ex[2];
  if (pipe2(in, O_CLOEXEC) < 0 || pipe2(ex, O_CLOEXEC) < 0) fail(errno, "pipe for hook ", path);
  long pid = syscall(SYS_clone, SIGCHLD, 0, NULL, NULL, 0);
  if (pid < 0) fail(errno, "fork hook ", path);
  if (pid == 0) {
    /* The exec-error pipe is close-on-exec: EOF tells the parent the exec worked. */
    int e = 0;
    /* Its own process group, so a timeout kills what the hook started too (a shell's children). */
    setpgid(0, 0);
    if (in[0] == 0 ? fcntl(0, F_SETFD, 0) < 0 : dup2(in[0], 0) < 0) e = errno;
    if (!e) {
      execve(path, vec_a, vec_b);
      e = errno;
    }
    if (write(ex[1], &e, sizeof e) < 0) _exit(126);
    _exit(127);
  }
  close(in[0]);
  close(ex[1]);
  int64_t deadline = timeout_ms ? now_ms() + timeout_ms : -1;
  int pidfd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
  /*
   * A filter may refuse pidfd_open (a startContainer hook runs after a no_new_privs filter, and runc's hooks need no
   * pidfd_open or poll): without a timeout to keep, the state is written blocking and the hook waited for plainly.
   */
  if (pidfd < 0 && timeout_ms) {
    int e = errno;
    kill((pid_t)pid, SIGKILL);
    fail(e, "pidfd_open for hook ", path);
  }
  /* Feed the state without blocking on a hook that does not read it; a hook that exits early is its business. */
  struct sigaction ign, old;
  memset(&ign, 0, sizeof ign);
  ign.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &ign, &old);
  uint32_t off = 0;
  int exited = 0, timed_out = 0;
  while (pidfd < 0 && off < len) {
    ssize_t n = write(in[1], data + off, len - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    off += (uint32_t)n;
  }
  if (pidfd >= 0) fcntl(in[1], F_SETFL, O_NONBLOCK);
  while (pidfd >= 0 && off < len && !exited && !timed_out) {
    struct pollfd p[2] = {{in[1], POLLOUT, 0}, {pidfd, POLLIN, 0}};
    int r = poll(p, 2, left_ms(deadline));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) break;
    if (r == 0) timed_out = 1;
    else if (p[1].revents) exited = 1;
    else if (p[0].revents & (POLLERR | POLLHUP)) break;
    else {
      ssize_t n = write(in[1], data + off, len - off);
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      if (n < 0) break;
      off += (uint32_t)n;
    }
  }
  close(in[1]);
  sigaction(SIGPIPE, &old, NULL);
  while (pidfd >= 0 && !exited && !timed_out) {
    struct pollfd p = {pidfd, POLLIN, 0};
    int r = poll(&p, 1, left_ms(deadline));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) fail(errno, "wait for hook ", path);
    if (r == 0) timed_out = 1;
    else exited = 1;
  }
  if (timed_out) {
    kill(-(pid_t)pid, SIGKILL);
    kill((pid_t)pid, SIGKILL);
  }
  int status;
  while (wait4((pid_t)pid, &status, 0, NULL) < 0) {
    if (errno != EINTR) fail(errno, "wait for hook ", path);
  }
  if (pidfd >= 0) close(pidfd);
  int e;
  ssize_t n = read(ex[0], &e, sizeof e);
  close(ex[0]);
  if (n == (ssize_t)sizeof e) fail(e, "exec hook ", path);
  d_reset();
  d_str("hook ");
  d_str(path);
  if (timed_out) {
    d_str(" timed out after ");
    d_u64(timeout_ms % 1000 ? timeout_ms : timeout_ms / 1000);
    d_str(timeout_ms % 1000 ? "ms" : "s");
    die(ETIMEDOUT);
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
    d_str(" exited with status ");
    d_u64((uint64_t)WEXITSTATUS(status));
    die(0);
  }
  if (WIFSIGNALED(status)) {
    d_str(" was killed by signal ");
    d_u64((uint64_t)WTERMSIG(status));
    die(0);
  }
}

/*
 * Runs after a no_new_privs filter, so it makes only syscalls runc's init makes there too (openat, write, close): a
 * profile that runs under runc must run here. The fifo is reopened for writing through /proc/self/fd (opened with it,
 * before PIVOT_ROOT), which blocks until start opens it for reading; the byte tells start the init got through. Both
 * fds are closed here, before startContainer hooks and exec.
 */
static void exit_on_signal(int sig) {
  _exit(128 + sig);
}

/* Signals a created container dies of while it waits to be started (runc's init, a Go program, exits on these):
 * as the init of its pid namespace, without a handler it would ignore them, even a SIGTERM from `kill` or a pidfd. */
static const int WAIT_SIGNALS[] = {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2};
#define N_WAIT_SIGNALS (sizeof(WAIT_SIGNALS) / sizeof(WAIT_SIGNALS[0]))

static void op_wait_fifo(void) {
  struct sigaction exiting, old[N_WAIT_SIGNALS];
  memset(&exiting, 0, sizeof(exiting));
  exiting.sa_handler = exit_on_signal;
  sigemptyset(&exiting.sa_mask);
  for (size_t i = 0; i < N_WAIT_SIGNALS; i++) sigaction(WAIT_SIGNALS[i], &exiting, &old[i]);
  char name[12];
  int nd = 0;
  if (fifo_fd < 0 || fifo_dir < 0) fail(EBADF, "no exec fifo is open", NULL);
  char digits[12];
  for (unsigned v = (unsigned)fifo_fd; nd == 0 || v; v /= 10) digits[nd++] = (char)('0' + v % 10);
  int at = 0;
  while (nd) name[at++] = digits[--nd];
  name[at] = 0;
  int fd;
  do fd = openat(fifo_dir, name, O_WRONLY | O_CLOEXEC); while (fd < 0 && errno == EINTR);
  if (fd < 0) fail(errno, "reopen the exec fifo for writing", NULL);
  for (size_t i = 0; i < N_WAIT_SIGNALS; i++) sigaction(WAIT_SIGNALS[i], &old[i], NULL);
  ssize_t n;
  do n = write(fd, "0", 1); while (n < 0 && errno == EINTR);
  if (n != 1) fail(n < 0 ? errno : EPIPE, "write the exec fifo", NULL);
  close(fd);
  close(fifo_fd);
  close(fifo_dir);
  fifo_fd = fifo_dir = -1;
}

#ifndef SYS_faccessat2
#define SYS_faccessat2 439
#endif

/*
 * access(X_OK) as the effective ids. glibc's faccessat(AT_EACCESS) falls back only when faccessat2 is missing (ENOSYS),
 * but a seccomp profile written before it existed denies it (EPERM, or its own errno): then plain faccessat, which
 * checks the real ids, is the same check, because SETRESUID/SETRESGID made real and effective ids equal.
 */
static int exec_access(const char *p) {
  long r = syscall(SYS_faccessat2, AT_FDCWD, p, X_OK, AT_EACCESS);
  if (r == 0 || errno == EACCES || errno == ENOENT || errno == ENOTDIR || errno == ELOOP || errno == ENAMETOOLONG ||
      errno == EROFS || errno == ETXTBSY) {
    return (int)r;
  }
  return (int)syscall(SYS_faccessat, AT_FDCWD, p, X_OK);
}

static void op_resolve_exec(struct strs c) {
  struct rd r = {c.at, c.end};
  const char *first = NULL;
  int denied = 0, other = 0;
  for (uint32_t i = 0; i < c.n; i++) {
    const char *p = gstr(&r);
    struct stat st;
    if (!first) first = p;
    if (stat(p, &st) == 0) {
      if (S_ISREG(st.st_mode) && exec_access(p) == 0) {
        exec_path = p;
        return;
      }
      if (S_ISREG(st.st_mode) && errno != EACCES && !other) other = errno;
      denied = 1;
    } else if (errno == EACCES) {
      denied = 1;
    } else if (errno != ENOENT && errno != ENOTDIR && !other) {
      other = errno; /* not an answer about the file: a filter's errno, say */
    }
  }
  /* An errno no lookup gives on its own is a filter's (or the kernel's) refusal, not a missing file: say so. */
  if (other) fail(other, first, ": the lookup itself was refused (a seccomp profile may deny stat or faccessat)");
  fail(denied ? EACCES : ENOENT, first, NULL);
}

/*
 * Closes every fd from `first` on except our own three (the sync socket, the exec fifo, ROOT), which are close-on-exec
 * and die at execve. Closed, not just marked close-on-exec: CHDIR and startContainer hooks come before execve, and an
 * inherited directory fd is a way out of the root through /proc/self/fd/N (CVE-2024-21626).
 */
/* The exec fifo is reopened through the container's own /proc/self/fd from here on (after PIVOT_ROOT), not the host's
 * that OPEN_FIFO kept: a process that stays dumpable while it waits on the fifo (rootless, so exec can join it) must
 * hold nothing that reaches the host's procfs through /proc/<pid>/fd. */
static void op_fifo_dir(void) {
  if (fifo_fd < 0 || fifo_dir < 0) fail(EBADF, "no exec fifo is open", NULL);
  int fds = open_proc_self_fd();
  proc_checked = 1;
  close(fifo_dir);
  fifo_dir = fds;
}

static void op_close_fds(uint32_t first) {
  int keep[4] = {sync_fd, fifo_fd, root_fd, fifo_dir};
  /* Sorted, so the ranges between them can be closed in one pass. */
  for (int i = 0; i < 4; i++) {
    for (int j = i + 1; j < 4; j++) {
      if (keep[j] < keep[i]) {
        int t = keep[i];
        keep[i] = keep[j];
        keep[j] = t;
      }
    }
  }
  uint32_t from = first;
  for (int i = 0; i < 4; i++) {
    if (keep[i] < 0 || (uint32_t)keep[i] < from) continue;
    if ((uint32_t)keep[i] > from && syscall(SYS_close_range, from, (uint32_t)keep[i] - 1, 0) < 0) {
      fail(errno, "close_range", NULL);
    }
    from = (uint32_t)keep[i] + 1;
  }
  if (syscall(SYS_close_range, from, ~0U, 0) < 0) fail(errno, "close_range", NULL);
}

/*
 * chdir resolved inside ROOT without magic links, so neither a cwd of /proc/self/fd/N nor an image's symlink to one
 * can leave the container; then a check that the kernel sees the new cwd under our root (getcwd names a cwd outside
 * the root "(unreachable)/..."), as runc does since 1.1.12. fchdir on the O_PATH fd checks search permission as
 * chdir would, as the process's own user.
 */
enum { CHDIR_ALWAYS, CHDIR_TRY, CHDIR_RETRY };
static int chdir_denied; /* a CHDIR_TRY met EACCES or EPERM: the CHDIR_RETRY runs */

static void op_chdir(const char *path, uint32_t attempt) {
  static char cwd[4096];
  if (attempt == CHDIR_RETRY && !chdir_denied) return;
  if (root_fd < 0) fail(EBADF, "no root to resolve ", path);
  int fd = in_root(path, O_PATH | O_DIRECTORY);
  if (fd < 0 && errno == ELOOP) fail(ELOOP, path, ": leads through a /proc magic link (or a symlink loop)");
  if (fd >= 0 && fchdir(fd) < 0) {
    int e = errno;
    close(fd);
    fd = -1;
    errno = e;
  }
  if (fd < 0 && attempt == CHDIR_TRY && (errno == EACCES || errno == EPERM)) {
    chdir_denied = 1;
    return;
  }
  if (fd < 0) fail(errno, path, NULL);
  close(fd);
  long n = syscall(SYS_getcwd, cwd, sizeof cwd);
  if (n < 0) fail(errno, "getcwd after chdir to ", path);
  if (cwd[0] != '/') fail(EPERM, path, ": the working directory is outside the container's root");
}

static void op_caps_bounding(uint64_t keep, uint32_t last) {
  for (uint32_t c = 0; c <= last; c++) {
    if (keep & (1ULL << c)) continue;
    /* EINVAL: this kernel does not have the capability, so there is nothing to drop. */
    if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL) {
      d_reset();
      d_str("drop capability ");
      d_u64(c);
      die(errno);
    }
  }
}

static void op_capset(uint64_t eff, uint64_t perm, uint64_t inh) {
  struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct d[2] = {
    {(uint32_t)eff, (uint32_t)perm, (uint32_t)inh},
    {(uint32_t)(eff >> 32), (uint32_t)(perm >> 32), (uint32_t)(inh >> 32)},
  };
  if (syscall(SYS_capset, &h, d) < 0) fail(errno, NULL, NULL);
}

static void op_ambient(uint64_t mask) {
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0) fail(errno, "clear ambient capabilities", NULL);
  for (uint32_t c = 0; c < 64; c++) {
    if (!(mask & (1ULL << c))) continue;
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0) {
      d_reset();
      d_str("raise ambient capability ");
      d_u64(c);
      die(errno);
    }
  }
}

static void op_seccomp(uint32_t flags, uint32_t n) {
  struct sock_fprog prog = {(unsigned short)n, filter};
  long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
  if (r < 0) fail(errno, NULL, NULL);
  if (!(flags & SECCOMP_FILTER_FLAG_NEW_LISTENER)) return;
  /* r is the notify fd (close-on-exec). The runtime hands it to the seccomp agent; the process must not go on (and
   * make syscalls that may be notified) before someone holds it. */
  int fd = (int)r;
  if (send_frame(MSG_SECCOMP_FD, NULL, 0, fd) < 0) fail(errno, "send the seccomp notify fd", NULL);
  uint32_t type;
  recv_msg(&type, msg_buf, sizeof msg_buf);
  if (type != MSG_SECCOMP_DONE) unexpected(type, "seccomp-done");
  close(fd);
}

/*
 * Bind-mounts the pty slave on the in-root console path (created as an empty file if missing). The target is opened
 * without following a final symlink and must be a regular file or a character device: an image's /dev/console ->
 * /proc/sys/kernel/core_pattern must not turn the bind into a writable view of a host file (CVE-2025-52565).
 */
static void mount_console(int slave, const char *console) {
  char sbuf[32], tbuf[32];
  struct stat st;
  const char *base;
  int dir = parent_of(console, &base);
  int c = openat(dir, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0666);
  if (c < 0 && errno != EEXIST) fail(errno, console, NULL);
  if (c >= 0) close(c);
  int t = openat(dir, base, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (t < 0 || fstat(t, &st) < 0) fail(errno, console, NULL);
  if (!S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode)) fail(EPERM, console, ": not a regular file or a device");
  if (mount(fd_path(sbuf, slave), fd_path(tbuf, t), NULL, MS_BIND, NULL) < 0) fail(errno, "mount the pty on ", console);
  close(t);
  close(dir);
}

static void op_chown_stdio(uint32_t uid) {
  for (int fd = 0; fd < 3; fd++) {
    struct stat st;
    if (fstat(fd, &st) < 0) continue; /* not open: nothing to give */
    if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3)) continue;
    /* EINVAL: the group is not mapped in the user namespace; EPERM: the owner is not; EROFS: a read-only /dev. */
    if (fchown(fd, (uid_t)uid, (gid_t)-1) < 0 && errno != EINVAL && errno != EPERM && errno != EROFS) {
      d_reset();
      d_str("fchown stdio fd ");
      d_u64((uint64_t)fd);
      die(errno);
    }
  }
}

static void op_open_pty(const char *console) {
  int zero = 0;
  int m = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (m < 0) fail(errno, "/dev/ptmx", NULL);
  if (ioctl(m, TIOCSPTLCK, &zero) < 0) fail(errno, "unlock the pty", NULL);
  /* TIOCGPTPEER opens the slave through the master, never by a path the container could swap. */
  int s = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (s < 0) fail(errno, "open the pty slave", NULL);
  if (*console) mount_console(s, console);
  if (send_frame(MSG_PTY, NULL, 0, m) < 0) fail(errno, "send the pty master", NULL);
  close(m);
  /* Wait until the runtime has the master (and has sized the pty) before the process can start. */
  uint32_t type;
  recv_msg(&type, msg_buf, sizeof msg_buf);
  if (type != MSG_PTY_DONE) unexpected(type, "pty-done");
  for (int i = 0; i < 3; i++) {
    if (dup2(s, i) < 0) fail(errno, "dup the pty slave to stdio", NULL);
  }
  if (s > 2) close(s);
  if (ioctl(0, TIOCSCTTY, 0) < 0) fail(errno, "make the pty the controlling terminal", NULL);
}

static void op_exec(struct strs argv, struct strs env) {
  fill(argv, vec_a);
  fill(env, vec_b);
  const char *path = exec_path ? exec_path : vec_a[0];
  if (!path) fail(EINVAL, "empty argv", NULL);
  execve(path, vec_a, vec_b);
  fail(errno, path, NULL);
}

/* Decodes one op; unless checking, runs it. Every case reads its fields in wire order, as the doc's table. */
static void run_op(uint32_t code, struct rd *r) {
  switch (code) {
  case OP_SETNS: {
    uint32_t type = g32(r);
    const char *path = gstr(r);
    if (!done(r)) op_setns(type, path);
    else open_setns(path);
    return;
  }
  case OP_CLONE: {
    uint64_t flags = g64(r);
    if (!done(r)) op_clone(flags);
    return;
  }
  case OP_JOIN_CGROUP: {
    const char *tasks = gstr(r);
    if (!done(r)) op_join_cgroup(tasks);
    return;
  }
  case OP_INTO_CGROUP: {
    const char *dir = gstr(r);
    if (!done(r)) op_into_cgroup(dir);
    return;
  }
  case OP_WAIT_GO:
    if (!done(r)) op_wait_go();
    return;
  case OP_SET_ROOT: {
    const char *path = gstr(r);
    if (!done(r)) op_set_root(path);
    return;
  }
  case OP_MOUNT: {
    uint32_t src_in = g32(r), dst_in = g32(r);
    const char *src = gstr(r), *dst = gstr(r), *fstype = gstr(r);
    uint64_t flags = g64(r);
    const char *data = gstr(r);
    if (!done(r)) op_mount(src_in, dst_in, src, dst, fstype, flags, data);
    return;
  }
  case OP_MKDIRS:
  case OP_MKFILE: {
    const char *path = gstr(r);
    uint32_t mode = g32(r);
    if (done(r)) return;
    if (code == OP_MKDIRS) op_mkdirs(path, mode);
    else op_mkfile(path, mode);
    return;
  }
  case OP_MKNOD: {
    const char *path = gstr(r);
    uint32_t mode = g32(r), major = g32(r), minor = g32(r), uid = g32(r), gid = g32(r);
    if (!done(r)) op_mknod(path, mode, major, minor, uid, gid);
    return;
  }
  case OP_SYMLINK: {
    const char *target = gstr(r), *link = gstr(r);
    if (!done(r)) op_symlink(target, link);
    return;
  }
  case OP_MASK:
  case OP_READONLY: {
    const char *path = gstr(r);
    if (done(r)) return;
    if (code == OP_MASK) op_mask(path);
    else op_readonly(path);
    return;
  }
  case OP_REMOUNT: {
    uint32_t in = g32(r);
    const char *target = gstr(r);
    uint64_t flags = g64(r);
    if (!done(r)) op_remount(in, target, flags);
    return;
  }
  case OP_PIVOT_ROOT: {
    uint32_t mode = g32(r);
    if (mode > ROOT_CHROOT) malformed("pivot-root mode above 2");
    if (!done(r)) op_pivot_root(mode);
    return;
  }
  case OP_SETHOSTNAME:
  case OP_SETDOMAINNAME: {
    const char *name = gstr(r);
    if (done(r)) return;
    if ((code == OP_SETHOSTNAME ? sethostname(name, strlen(name)) : setdomainname(name, strlen(name))) < 0) {
      fail(errno, NULL, NULL);
    }
    return;
  }
  case OP_WRITE_FILE: {
    const char *path = gstr(r), *content = gstr(r);
    if (!done(r)) op_write_file(path, content);
    return;
  }
  case OP_SETRLIMIT: {
    uint32_t res = g32(r);
    uint64_t soft = g64(r), hard = g64(r);
    if (!done(r)) op_setrlimit(res, soft, hard);
    return;
  }
  case OP_PERSONALITY: {
    uint32_t persona = g32(r);
    if (!done(r) && personality(persona) < 0) fail(errno, NULL, NULL);
    return;
  }
  case OP_IOPRIO_SET: {
    uint32_t prio = g32(r);
    /* IOPRIO_WHO_PROCESS 1, who 0: this process, before it execs. */
    if (!done(r) && syscall(SYS_ioprio_set, 1, 0, prio) < 0) fail(errno, NULL, NULL);
    return;
  }
  case OP_SCHED_SETATTR: {
    uint32_t policy = g32(r);
    uint64_t flags = g64(r);
    uint32_t nice = g32(r), priority = g32(r);
    uint64_t runtime = g64(r), deadline = g64(r), period = g64(r);
    if (!done(r)) op_sched_setattr(policy, flags, nice, priority, runtime, deadline, period);
    return;
  }
  case OP_SCHED_AFFINITY: {
    uint32_t highest;
    get_bits(r, MAX_CPUS, 1, &highest);
    if (!done(r) && sched_setaffinity(0, sizeof bits, (cpu_set_t *)bits) < 0) fail(errno, NULL, NULL);
    return;
  }
  case OP_SET_MEMPOLICY: {
    uint32_t mode = g32(r), highest;
    const uint8_t *at = r->p;
    get_bits(r, MAX_NODES, 0, &highest);
    uint32_t n;
    memcpy(&n, at, 4);
    if (!done(r)) op_set_mempolicy(mode, n, highest);
    return;
  }
  case OP_SYNC_HOOKS:
    if (!done(r)) op_sync_hooks();
    return;
  case OP_RUN_HOOK: {
    uint32_t blob = g32(r), timeout = g32(r);
    const char *path = gstr(r);
    struct strs args = gstrs(r), env = gstrs(r);
    if (!done(r)) op_run_hook(blob, timeout, path, args, env);
    return;
  }
  case OP_READY:
    if (!done(r) && write_frame(MSG_READY, NULL, 0) < 0) fail(errno, "send ready", NULL);
    return;
  case OP_OPEN_FIFO: {
    const char *path = gstr(r);
    if (done(r)) return;
    /* O_PATH: the open neither waits nor reads; WAIT_FIFO reopens it for writing, as runc's init does. */
    if (fifo_fd >= 0) close(fifo_fd);
    if (fifo_dir >= 0) close(fifo_dir);
    fifo_fd = open(path, O_PATH | O_CLOEXEC);
    if (fifo_fd < 0) fail(errno, path, NULL);
    /* Checked on the file opened: WAIT_FIFO opens it for writing and writes a byte, which only a fifo may take (an
     * exec's wait fifo is the caller's path, checked before, but a swap since would hand over another file). */
    struct stat st;
    if (fstat(fifo_fd, &st) < 0) fail(errno, path, NULL);
    if (!S_ISFIFO(st.st_mode)) fail(EINVAL, path, ": not a fifo");
    /* The host's /proc, before PIVOT_ROOT: a root without /proc (no mount namespace, a bare chroot) works too. */
    fifo_dir = open("/proc/self/fd", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fifo_dir < 0) fail(errno, "/proc/self/fd", NULL);
    return;
  }
  case OP_FIFO_DIR:
    if (!done(r)) op_fifo_dir();
    return;
  case OP_WAIT_FIFO:
    if (!done(r)) op_wait_fifo();
    return;
  case OP_RESOLVE_EXEC: {
    struct strs c = gstrs(r);
    if (c.n == 0) malformed("no candidates");
    if (!done(r)) op_resolve_exec(c);
    return;
  }
  case OP_CHDIR: {
    const char *path = gstr(r);
    uint32_t attempt = g32(r);
    if (attempt > CHDIR_RETRY) malformed("chdir attempt above 2");
    if (!done(r)) op_chdir(path, attempt);
    return;
  }
  case OP_SETGROUPS: {
    uint32_t n = g32(r);
    if (n > MAX_GROUPS) malformed("more than 65536 groups");
    for (uint32_t i = 0; i < n; i++) groups[i] = g32(r);
    if (!done(r) && syscall(SYS_setgroups, (size_t)n, groups) < 0) fail(errno, NULL, NULL);
    return;
  }
  case OP_SETRESGID:
  case OP_SETRESUID: {
    uint32_t id = g32(r);
    if (done(r)) return;
    if (syscall(code == OP_SETRESGID ? SYS_setresgid : SYS_setresuid, id, id, id) < 0) fail(errno, NULL, NULL);
    return;
  }
  case OP_SET_DUMPABLE: {
    uint32_t on = g32(r);
    if (!done(r) && prctl(PR_SET_DUMPABLE, on ? 1 : 0, 0, 0, 0) < 0) fail(errno, NULL, NULL);
    return;
  }
  case OP_UNSHARE: {
    uint64_t flags = g64(r);
    if (!done(r) && unshare((int)flags) < 0) fail(errno, NULL, NULL);
    return;
  }
  case OP_IDMAP_TREE: {
    const char *src = gstr(r);
    uint32_t clone_tree = g32(r), idmap_tree = g32(r);
    const char *uid_map = gstr(r), *gid_map = gstr(r);
    if (!done(r)) op_idmap_tree(src, clone_tree, idmap_tree, uid_map, gid_map);
    return;
  }
  case OP_COPY_SOURCE:
  case OP_COPY_TREE: {
    const char *path = gstr(r);
    if (done(r)) return;
    if (code == OP_COPY_SOURCE) op_copy_source(path);
    else op_copy_tree(path);
    return;
  }
  case OP_MOVE_MOUNT: {
    uint32_t index = g32(r);
    const char *dst = gstr(r);
    if (!done(r)) op_move_mount(index, dst);
    return;
  }
  case OP_MOUNT_SETATTR: {
    uint32_t in = g32(r);
    const char *target = gstr(r);
    uint64_t set = g64(r), clr = g64(r);
    if (!done(r)) op_mount_setattr(in, target, set, clr);
    return;
  }
  case OP_UMOUNT: {
    const char *target = gstr(r);
    uint32_t cover = g32(r);
    if (!done(r)) op_umount(target, cover);
    return;
  }
  case OP_KEEPCAPS: {
    uint32_t on = g32(r);
    if (!done(r) && prctl(PR_SET_KEEPCAPS, on ? 1 : 0, 0, 0, 0) < 0) fail(errno, NULL, NULL);
    return;
  }
  case OP_CAPS_BOUNDING: {
    uint64_t keep = g64(r);
    uint32_t last = g32(r);
    if (last > 63) malformed("last capability above 63");
    if (!done(r)) op_caps_bounding(keep, last);
    return;
  }
  case OP_CAPSET: {
    uint64_t eff = g64(r), perm = g64(r), inh = g64(r);
    if (!done(r)) op_capset(eff, perm, inh);
    return;
  }
  case OP_AMBIENT: {
    uint64_t mask = g64(r);
    if (!done(r)) op_ambient(mask);
    return;
  }
  case OP_NO_NEW_PRIVS:
    if (!done(r) && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) fail(errno, NULL, NULL);
    return;
  case OP_SECCOMP: {
    uint32_t flags = g32(r), n = g32(r);
    if (n == 0 || n > MAX_INSNS) malformed("seccomp filter of 0 or more than 4096 instructions");
    if ((size_t)(r->end - r->p) < (size_t)n * 8) malformed("seccomp filter runs past the payload");
    const uint8_t *insns = r->p;
    r->p += (size_t)n * 8;
    if (done(r)) return;
    memcpy(filter, insns, (size_t)n * 8); /* aligned copy: the plan buffer has none */
    op_seccomp(flags, n);
    return;
  }
  case OP_JOIN_KEYRING: {
    /* A session keyring of the container's own, so it does not share the caller's keys (keyrings(7)). A kernel
     * without keys support (ENOSYS) has nothing to share. */
    const char *name = gstr(r);
    if (!done(r) && syscall(SYS_keyctl, 1 /* KEYCTL_JOIN_SESSION_KEYRING */, name) < 0 && errno != ENOSYS) {
      fail(errno, name, NULL);
    }
    return;
  }
  case OP_UMASK: {
    uint32_t mask = g32(r);
    if (!done(r)) umask(mask & 07777);
    return;
  }
  case OP_SETSID:
    if (!done(r) && setsid() < 0) fail(errno, NULL, NULL);
    return;
  case OP_OPEN_PTY: {
    const char *console = gstr(r);
    if (!done(r)) op_open_pty(console);
    return;
  }
  case OP_CHOWN_STDIO: {
    uint32_t uid = g32(r);
    if (!done(r)) op_chown_stdio(uid);
    return;
  }
  case OP_CLOSE_FDS: {
    uint32_t first = g32(r);
    if (!done(r)) op_close_fds(first);
    return;
  }
  case OP_EXEC: {
    struct strs argv = gstrs(r), env = gstrs(r);
    if (argv.n == 0) malformed("empty argv");
    if (!done(r)) op_exec(argv, env);
    return;
  }
  default:
    malformed("not an op of protocol version 1");
  }
}

static int usage(const char *why) {
  static const char u[] = "usage: berth-init SYNC_FD (started by the Berth runtime; see docs/berth-init-protocol.md)\n";
  if (why) (void)!write(2, why, strlen(why));
  (void)!write(2, u, sizeof u - 1);
  return 2;
}

int main(int argc, char **argv) {
  if (argc != 2 || !argv[1][0] || strlen(argv[1]) > 9 || strspn(argv[1], "0123456789") != strlen(argv[1])) {
    return usage(NULL);
  }
  sync_fd = 0;
  for (const char *p = argv[1]; *p; p++) sync_fd = sync_fd * 10 + (*p - '0');
  if (fcntl(sync_fd, F_SETFD, FD_CLOEXEC) < 0) return usage("berth-init: the sync fd is not open\n");
  /* Non-dumpable: processes of a namespace we join cannot open us through /proc/<pid> (runc's CVE-2016-9962
   * hardening); execve resets the flag for the container. Umask 0: the modes in the plan are the modes created. */
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  umask(0);

  uint32_t type, len = recv_msg(&type, plan_buf, MAX_PAYLOAD);
  if (type != MSG_PLAN) unexpected(type, "plan");
  uint32_t version, count;
  if (len < 8) fail(EINVAL, "plan: shorter than its header", NULL);
  memcpy(&version, plan_buf, 4);
  memcpy(&count, plan_buf + 4, 4);
  if (version != 1) {
    d_reset();
    d_str("plan: version ");
    d_u64(version);
    d_str(" is not supported (want 1)");
    die(EINVAL);
  }
  /* Check every op before running any, so a malformed plan leaves nothing half-done. */
  for (dry = 1; dry >= 0; dry--) {
    struct rd all = {plan_buf + 8, plan_buf + len};
    setns_count = 0;
    for (uint32_t i = 0; i < count; i++) {
      cur_op = i;
      cur_code = 0;
      if (all.end - all.p < 8) malformed("op header runs past the plan");
      uint32_t olen;
      memcpy(&cur_code, all.p, 4);
      memcpy(&olen, all.p + 4, 4);
      all.p += 8;
      if ((size_t)(all.end - all.p) < olen) malformed("payload runs past the plan");
      struct rd op = {all.p, all.p + olen};
      all.p += olen;
      run_op(cur_code, &op);
    }
    cur_op = NO_OP;
    if (dry && all.p != all.end) fail(EINVAL, "plan: bytes after the last op", NULL);
  }
  _exit(0);
}
