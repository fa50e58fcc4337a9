/*
 * berth-monitor: the process that watches over one container (conmon's role), from before its create to its exit.
 *
 * Java decides everything and passes it on the command line (docs/monitor.md); this program holds no policy. It
 * makes itself a child subreaper, holds the container's stdio (pipes, or the pty master received on a console
 * socket), writes the CRI log (rotated by size, reopened on request), serves attach clients on a SOCK_SEQPACKET
 * socket, and when the container init exits writes the exit file atomically, then runs the exit command.
 *
 * Rules for this file:
 * - Single-threaded, no malloc: static buffers only, so its memory is bounded and small (it runs once per container).
 *   Unlike berth-init it is not in a raw-clone window, so ordinary libc is fine.
 * - Every fd of its own is O_CLOEXEC; the child it forks gets exactly stdio and the --pass-fd fds (3, 4, ...).
 * - Nothing a client or the container does may stop it or block it: reads are bounded, client sockets and pipes are
 *   non-blocking, a client that cannot keep up is dropped, a failed log write is counted and skipped.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

#define BUF 8192          /* one read of a stream; one attach packet's payload */
#define MAX_PASS 64       /* --pass-fd */
#define MAX_ARGS 256      /* child command, exit command */
#define MAX_CLIENTS 64    /* attach clients at once; more are refused */
#define MAX_EARLY 64      /* exits seen before CONTAINER */
#define DRAIN_IDLE_MS 100 /* after the container exited: stop draining when nothing came for this long */
#define DRAIN_MAX_MS 2000 /* ... or after this long in all (a grandchild may write forever) */

/* Attach packet types (first byte). */
enum { OUT_STDOUT = 1, OUT_STDERR = 2, OUT_EXIT = 3, OUT_REOPENED = 4 };
enum { IN_STDIN = 0, IN_STDIN_CLOSE = 1, IN_RESIZE = 2, IN_REOPEN = 3 };

/* ---- the command line ---- */

static const char *log_path, *log_root, *attach_path, *console_path, *exit_path, *oom_file, *oom_key, *argv0;
static const char *exit_watchers; /* with --exit-watchers: the exit command runs only if nobody holds a lock on it */
static long long log_max_size;
static int log_max_files = 1;
static int want_stdin, stdin_once;
static int pass_fds[MAX_PASS], npass;
static char *child_argv[MAX_ARGS + 1], *exit_argv[MAX_ARGS + 1];
static int nchild, nexit;

/* ---- state ---- */

static int ctl_fd = 3;           /* to Java until CONTAINER; -1 after */
static int log_dir_fd = -1;      /* the log's directory: every open, rename and unlink of the log is relative to it */
static const char *log_base;     /* the log's name in it */
static int sig_fd = -1;
static int out_fd = -1, err_fd = -1; /* read ends of the container's stdout and stderr */
static int stdin_w = -1;         /* write end of the container's stdin pipe */
static int pty_fd = -1;          /* the pty master, once received */
static int console_fd = -1;      /* listening console socket */
static int attach_fd = -1;       /* listening attach socket */
static int log_fd = -1;
static long long log_size;
static int log_created;          /* the log did not exist before: ABORT removes it */
static unsigned long log_dropped;
static mode_t old_umask;
static sigset_t old_mask;        /* the child and the exit command get it back */

static pid_t child_pid, container_pid;
static int child_reported;
static int exited, exit_status;
static struct timespec started_at, finished_at;
static struct { pid_t pid; int status; struct timespec at; } early[MAX_EARLY];
static int nearly, early_next;

/* out_gone: the client stopped taking output (it shut its socket down, or closed it) but may still have stdin packets
 * queued for us: they are read to the end, and it goes when they are. */
static struct client { int fd; int no_stdin; int out_gone; } clients[MAX_CLIENTS];
static int nclients;

/* A partial line of each stream waits here for the rest of it (see log_stream). */
static struct stream { const char *name; uint8_t type; char buf[BUF]; size_t len; int eof; } s_out = {"stdout", OUT_STDOUT, {0}, 0, 0},
    s_err = {"stderr", OUT_STDERR, {0}, 0, 0};

static char stdin_buf[BUF];      /* stdin data not yet taken by the container (pipe full) */
static size_t stdin_len;
static int stdin_close_pending;

static char rec[BUF + 64];       /* one CRI log record */
static uint8_t pkt[BUF + 1];     /* one attach packet in */
static char path_a[PATH_MAX], path_b[PATH_MAX];

/* ---- small helpers ---- */

static void warn(const char *fmt, ...) {
  char b[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(b, sizeof b - 1, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if (n > (int)sizeof b - 2) n = sizeof b - 2;
  b[n++] = '\n';
  ssize_t ignored = write(2, b, (size_t)n);
  (void)ignored;
}

static void ctl_send(const char *fmt, ...) {
  if (ctl_fd < 0) return;
  char b[600];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(b, sizeof b, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if (n >= (int)sizeof b) n = sizeof b - 1;
  while (send(ctl_fd, b, (size_t)n, MSG_NOSIGNAL) < 0 && errno == EINTR) {}
}

/* Before READY a failure goes to Java as ERROR (it throws with it), after what we made is removed; the monitor then
 * exits 1. */
static void die(const char *what, const char *detail, int err) {
  if (attach_path && attach_fd >= 0) unlink(attach_path);
  if (console_path && console_fd >= 0) unlink(console_path);
  if (log_created) unlinkat(log_dir_fd, log_base, 0);
  ctl_send("ERROR %s%s%s%s%s", what, detail ? " " : "", detail ? detail : "", err ? ": " : "", err ? strerror(err) : "");
  warn("berth-monitor: %s%s%s%s%s", what, detail ? " " : "", detail ? detail : "", err ? ": " : "", err ? strerror(err) : "");
  _exit(1);
}

static void usage(const char *msg, const char *arg) {
  ctl_send("ERROR usage: %s%s%s", msg, arg ? " " : "", arg ? arg : "");
  warn("berth-monitor: usage: %s%s%s", msg, arg ? " " : "", arg ? arg : "");
  _exit(2);
}

static long long number(const char *s, const char *flag) {
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (errno || *s == 0 || *end || v < 0) usage("not a number:", flag);
  return v;
}

static void nonblock(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

static void close_fd(int *fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

static int64_t ms_now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* RFC 3339 in UTC with nanoseconds, 30 characters: 2006-01-02T15:04:05.999999999Z */
static int rfc3339(char *out, size_t size, const struct timespec *t) {
  struct tm tm;
  gmtime_r(&t->tv_sec, &tm);
  return snprintf(out, size, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                  tm.tm_hour, tm.tm_min, tm.tm_sec, t->tv_nsec);
}

/* A unix socket address; a path longer than sun_path is reached through its directory's /proc/self/fd entry. */
static int unix_addr(const char *path, struct sockaddr_un *sa, int *dir_fd) {
  memset(sa, 0, sizeof *sa);
  sa->sun_family = AF_UNIX;
  *dir_fd = -1;
  if (strlen(path) < sizeof sa->sun_path) {
    strcpy(sa->sun_path, path);
    return 0;
  }
  const char *slash = strrchr(path, '/');
  if (!slash || slash == path || (size_t)(slash - path) >= sizeof path_a) return -1;
  memcpy(path_a, path, (size_t)(slash - path));
  path_a[slash - path] = 0;
  *dir_fd = open(path_a, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (*dir_fd < 0) return -1;
  if (snprintf(sa->sun_path, sizeof sa->sun_path, "/proc/self/fd/%d%s", *dir_fd, slash) >= (int)sizeof sa->sun_path) {
    close(*dir_fd);
    errno = ENAMETOOLONG;
    return -1;
  }
  return 0;
}

/* A listening socket at path, mode 0600 (the umask is 077 here), non-blocking. */
static int listen_at(const char *path, int type) {
  struct sockaddr_un sa;
  int dir;
  if (unix_addr(path, &sa, &dir) < 0) die("bind", path, errno ? errno : ENAMETOOLONG);
  int fd = socket(AF_UNIX, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) die("socket for", path, errno);
  if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) die("bind", path, errno);
  if (dir >= 0) close(dir);
  if (listen(fd, 16) < 0) {
    int e = errno;
    unlink(path);
    die("listen", path, e);
  }
  return fd;
}

/* ---- the log ---- */

/* The log's directory, opened once: from --log-root (else the log's own directory), reached as given, down to it,
 * each directory made when missing and none followed if it is a symlink. The directories below the root may be
 * written by others (a CRI pod's log_directory is the kubelet's; log collectors and hostPath mounts write there): a
 * symlink planted on the way, or at the log's name (O_NOFOLLOW below), must not have us create or append to a file
 * elsewhere as root. Returns -1 with errno set. */
static int log_dir_open(void) {
  static char root[PATH_MAX];
  const char *rel;
  size_t n = log_root ? strlen(log_root) : (size_t)(strrchr(log_path, '/') - log_path);
  if (log_root && (strncmp(log_path, log_root, n) != 0 || (n > 1 && log_path[n] != '/'))) return errno = EXDEV, -1;
  if (n >= sizeof root) return errno = ENAMETOOLONG, -1;
  memcpy(root, log_path, n);
  root[n] = 0;
  for (rel = log_path + n; *rel == '/'; rel++) {}
  int dir = open(n ? root : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return -1;
  for (;;) {
    const char *slash = strchr(rel, '/');
    if (!slash) break;
    static char name[NAME_MAX + 1];
    size_t len = (size_t)(slash - rel);
    if (len == 0 || len > NAME_MAX || (len == 1 && rel[0] == '.') || (len == 2 && rel[0] == '.' && rel[1] == '.')) {
      close(dir);
      return errno = EINVAL, -1;
    }
    memcpy(name, rel, len);
    name[len] = 0;
    int made = mkdirat(dir, name, 0755) == 0;
    int next = openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    int e = errno;
    close(dir);
    if (next < 0) return errno = e, -1;
    if (made) fchmod(next, 0755); /* as the kubelet makes them; our umask is 077 */
    dir = next;
    rel = slash + 1;
  }
  if (!*rel) {
    close(dir);
    return errno = EINVAL, -1;
  }
  log_base = rel;
  return dir;
}

static void log_open(void) {
  log_fd = openat(log_dir_fd, log_base, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (log_fd < 0) {
    warn("berth-monitor: open log %s: %s", log_path, strerror(errno));
    return;
  }
  struct stat st;
  log_size = fstat(log_fd, &st) == 0 ? st.st_size : 0;
}

/* log -> log.1 -> log.2 ...: --log-max-files counts the live file too; the oldest is dropped. */
static void log_rotate(void) {
  close_fd(&log_fd);
  if (log_max_files <= 1) {
    unlinkat(log_dir_fd, log_base, 0);
  } else {
    for (int i = log_max_files - 1; i >= 1; i--) {
      if (i == 1) snprintf(path_a, sizeof path_a, "%s", log_base);
      else snprintf(path_a, sizeof path_a, "%s.%d", log_base, i - 1);
      snprintf(path_b, sizeof path_b, "%s.%d", log_base, i);
      if (renameat(log_dir_fd, path_a, log_dir_fd, path_b) < 0 && errno != ENOENT)
        warn("berth-monitor: rename %s: %s", path_a, strerror(errno));
    }
  }
  log_open();
}

/* Writes one record whole, into one file: rotation happens only between records, a failed or short write (disk
 * full) is cut off again, and the record is counted as dropped. */
static void log_record(const char *stream, char flag, const char *text, size_t len) {
  if (!log_path) return;
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  int h = rfc3339(rec, sizeof rec, &now);
  h += snprintf(rec + h, sizeof rec - (size_t)h, " %s %c ", stream, flag);
  memcpy(rec + h, text, len);
  size_t total = (size_t)h + len;
  rec[total++] = '\n';
  if (log_max_size > 0 && log_size > 0 && log_size + (long long)total > log_max_size) log_rotate();
  if (log_fd < 0) {
    log_open();
    if (log_fd < 0) {
      log_dropped++;
      return;
    }
  }
  ssize_t n;
  do n = write(log_fd, rec, total); while (n < 0 && errno == EINTR);
  if (n == (ssize_t)total) {
    log_size += n;
    return;
  }
  if (n > 0 && ftruncate(log_fd, log_size) < 0) {
    /* the tail of a cut record stays: nothing better to do */
  }
  if (log_dropped++ == 0) warn("berth-monitor: write log %s: %s", log_path, n < 0 ? strerror(errno) : "short write");
}

static void log_reopen(void) {
  if (!log_path) return;
  close_fd(&log_fd);
  log_open();
}

/* ---- attach clients ---- */

static void drop_client(int i) {
  /* Take what the client sent and we did not read (a resize, a stdin close): closing a socket with unread packets
   * resets the connection, and the client could lose the frames still queued for it (the exit among them). */
  while (recv(clients[i].fd, pkt, sizeof pkt, MSG_DONTWAIT) > 0) {}
  close(clients[i].fd);
  clients[i] = clients[--nclients];
}

/* Sends one packet to every client; one that cannot take it now (EAGAIN) is dropped: it must never hold back the
 * container or the log. One whose reading side is gone (EPIPE: a client whose stdin ended and that left) gets no
 * more output, but what it sent before leaving still reaches the container. */
static void broadcast(uint8_t type, const void *data, size_t len) {
  for (int i = 0; i < nclients;) {
    if (clients[i].out_gone) {
      i++;
      continue;
    }
    struct iovec iov[2] = {{&type, 1}, {(void *)data, len}};
    struct msghdr mh = {.msg_iov = iov, .msg_iovlen = len ? 2 : 1};
    ssize_t n;
    do n = sendmsg(clients[i].fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL); while (n < 0 && errno == EINTR);
    if (n < 0 && (errno == EPIPE || errno == ECONNRESET)) {
      clients[i++].out_gone = 1;
    } else if (n < 0) {
      drop_client(i);
    } else {
      i++;
    }
  }
}

static void accept_clients(void) {
  for (;;) {
    int fd = accept4(attach_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) return; /* EAGAIN, or a client gone before we took it */
    if (nclients == MAX_CLIENTS) {
      close(fd);
      continue;
    }
    clients[nclients].fd = fd;
    clients[nclients].no_stdin = 0;
    clients[nclients].out_gone = 0;
    nclients++;
  }
}

/* ---- the container's output ---- */

/* Hands new bytes of a stream to the clients as they are and to the log line by line: each complete line is an F
 * record; a line that fills the whole buffer, or is left when the stream ends, goes out as a P record. */
static void log_stream(struct stream *s, size_t fresh) {
  if (fresh) broadcast(s->type, s->buf + s->len, fresh);
  size_t end = s->len + fresh, start = 0;
  for (size_t i = s->len; i < end; i++) {
    if (s->buf[i] != '\n') continue;
    log_record(s->name, 'F', s->buf + start, i - start);
    start = i + 1;
  }
  if (start < end && (end - start == sizeof s->buf || s->eof)) {
    log_record(s->name, 'P', s->buf + start, end - start);
    start = end;
  }
  memmove(s->buf, s->buf + start, end - start);
  s->len = end - start;
}

/* One bounded read of a stream; EOF (or EIO of a pty whose slave is closed) closes it. */
static void read_stream(int *fd, struct stream *s) {
  ssize_t n;
  do n = read(*fd, s->buf + s->len, sizeof s->buf - s->len); while (n < 0 && errno == EINTR);
  if (n < 0 && errno == EAGAIN) return;
  if (n <= 0) {
    close_fd(fd);
    s->eof = 1;
    log_stream(s, 0);
    s->eof = 0;
    return;
  }
  log_stream(s, (size_t)n);
}

/* The console socket: the runtime connects and sends the pty master (runc's --console-socket protocol). */
static void accept_console(void) {
  int c = accept4(console_fd, NULL, NULL, SOCK_CLOEXEC);
  if (c < 0) return;
  char name[256];
  union { char buf[CMSG_SPACE(4 * sizeof(int))]; struct cmsghdr align; } cbuf;
  struct iovec iov = {name, sizeof name};
  struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf.buf, .msg_controllen = sizeof cbuf.buf};
  struct pollfd p = {c, POLLIN, 0};
  ssize_t n = -1;
  if (poll(&p, 1, 5000) == 1) {
    do n = recvmsg(c, &mh, MSG_CMSG_CLOEXEC); while (n < 0 && errno == EINTR);
  }
  close(c);
  if (n < 0) return;
  for (struct cmsghdr *h = CMSG_FIRSTHDR(&mh); h; h = CMSG_NXTHDR(&mh, h)) {
    if (h->cmsg_level != SOL_SOCKET || h->cmsg_type != SCM_RIGHTS) continue;
    int count = (int)((h->cmsg_len - CMSG_LEN(0)) / sizeof(int));
    for (int i = 0; i < count; i++) {
      int fd;
      memcpy(&fd, CMSG_DATA(h) + i * sizeof(int), sizeof fd);
      if (pty_fd < 0) {
        pty_fd = fd;
        nonblock(pty_fd);
      } else {
        close(fd);
      }
    }
  }
  if (pty_fd >= 0) {
    /* One terminal per container: the socket has served its purpose. */
    close_fd(&console_fd);
    unlink(console_path);
  }
}

/* ---- stdin ---- */

static int stdin_target(void) { return pty_fd >= 0 ? pty_fd : stdin_w; }

static void flush_stdin(void) {
  int fd = stdin_target();
  while (stdin_len > 0 && fd >= 0) {
    ssize_t n = write(fd, stdin_buf, stdin_len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    if (n < 0) {
      stdin_len = 0; /* the container closed its stdin: what it never reads is gone */
      break;
    }
    memmove(stdin_buf, stdin_buf + n, stdin_len - (size_t)n);
    stdin_len -= (size_t)n;
  }
  if (fd < 0) stdin_len = 0;
  if (stdin_len == 0 && stdin_close_pending) {
    stdin_close_pending = 0;
    close_fd(&stdin_w);
  }
}

/* One packet from a client; returns -1 when the client is gone. A client that closed with our frames unread makes
 * the kernel report ECONNRESET once, ahead of the packets it sent before: those are read on. */
static int client_packet(struct client *c) {
  ssize_t n;
  do n = recv(c->fd, pkt, sizeof pkt, MSG_DONTWAIT); while (n < 0 && errno == EINTR);
  if (n < 0 && (errno == EAGAIN || errno == ECONNRESET)) return 0;
  if (n <= 0) return -1;
  switch (pkt[0]) {
  case IN_STDIN:
    if (c->no_stdin || n == 1) break;
    memcpy(stdin_buf, pkt + 1, (size_t)n - 1); /* only read while stdin_buf is empty (see the poll set) */
    stdin_len = (size_t)n - 1;
    flush_stdin();
    break;
  case IN_STDIN_CLOSE:
    c->no_stdin = 1;
    if (stdin_once && stdin_w >= 0) {
      stdin_close_pending = 1;
      flush_stdin();
    }
    break;
  case IN_RESIZE:
    if (n >= 5 && pty_fd >= 0) {
      struct winsize ws = {.ws_row = (unsigned short)(pkt[1] | pkt[2] << 8), .ws_col = (unsigned short)(pkt[3] | pkt[4] << 8)};
      ioctl(pty_fd, TIOCSWINSZ, &ws);
    }
    break;
  case IN_REOPEN: {
    log_reopen();
    /* Told to the asking client only, once the new file is there: the CRI's ReopenContainerLog returns then. */
    uint8_t done = OUT_REOPENED;
    ssize_t w;
    do w = send(c->fd, &done, 1, MSG_DONTWAIT | MSG_NOSIGNAL); while (w < 0 && errno == EINTR);
    break;
  }
  default:
    break; /* unknown: ignored, so newer clients can talk to an older monitor */
  }
  return 0;
}

/* ---- children ---- */

static void record_early(pid_t pid, int status) {
  if (nearly < MAX_EARLY) nearly++;
  early[early_next].pid = pid;
  early[early_next].status = status;
  clock_gettime(CLOCK_REALTIME, &early[early_next].at);
  early_next = (early_next + 1) % MAX_EARLY;
}

static void container_exited(int status) {
  exited = 1;
  exit_status = status;
  clock_gettime(CLOCK_REALTIME, &finished_at);
}

static void reap(void) {
  for (;;) {
    int status;
    pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid <= 0) return;
    if (container_pid > 0 && pid == container_pid) {
      container_exited(status);
      continue;
    }
    if (pid == child_pid && !child_reported && ctl_fd >= 0) {
      child_reported = 1;
      ctl_send("CHILD %d %d %d", pid, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
               WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    }
    if (container_pid == 0) record_early(pid, status);
  }
}

static void read_signals(void) {
  struct signalfd_siginfo si;
  while (read(sig_fd, &si, sizeof si) == (ssize_t)sizeof si) {
    if (si.ssi_signo == SIGUSR1) log_reopen();
  }
  reap();
}

/* CONTAINER <pid>: it must be our child (directly, or adopted as the subreaper), or have exited as one already. */
static void take_container(pid_t pid) {
  for (int i = 0; i < nearly; i++) {
    if (early[i].pid == pid) {
      container_pid = pid;
      exited = 1;
      exit_status = early[i].status;
      started_at = finished_at = early[i].at; /* it ended before it was handed over */
      ctl_send("OK");
      return;
    }
  }
  siginfo_t info;
  memset(&info, 0, sizeof info);
  if (pid <= 0 || waitid(P_PID, (id_t)pid, &info, WEXITED | WNOHANG | WNOWAIT) < 0) {
    ctl_send("ERROR %d is not a child of the monitor", (int)pid);
    return;
  }
  container_pid = pid;
  clock_gettime(CLOCK_REALTIME, &started_at);
  ctl_send("OK");
  reap(); /* it may have exited already: its SIGCHLD came while it was not known */
}

/* ABORT (or Java gone before CONTAINER): the create failed. Reap the child, remove what we made, leave no exit file. */
static void abort_create(void) {
  if (child_pid > 0 && !child_reported) {
    int status;
    kill(child_pid, SIGKILL);
    while (waitpid(child_pid, &status, 0) < 0 && errno == EINTR) {}
  }
  while (waitpid(-1, NULL, WNOHANG) > 0) {}
  if (attach_path) unlink(attach_path);
  if (console_fd >= 0) unlink(console_path);
  if (log_created) unlinkat(log_dir_fd, log_base, 0);
  _exit(0);
}

static void read_ctl(void) {
  char b[128];
  ssize_t n;
  do n = recv(ctl_fd, b, sizeof b - 1, MSG_DONTWAIT); while (n < 0 && errno == EINTR);
  if (n < 0 && errno == EAGAIN) return;
  if (n <= 0) {
    close_fd(&ctl_fd);
    if (container_pid == 0) abort_create();
    return;
  }
  b[n] = 0;
  if (strncmp(b, "CONTAINER ", 10) == 0 && container_pid == 0) {
    take_container((pid_t)atoi(b + 10));
    if (container_pid > 0) close_fd(&ctl_fd); /* on its own from here */
  } else if (strcmp(b, "ABORT") == 0 && container_pid == 0) {
    abort_create();
  }
}

/* Forks the child command with stdio on 0-2 and the --pass-fd fds on 3, 4, ...; exec_fd: its binary when it is an fd
 * of ours, else -1 (its path is exec'd). */
static void fork_child(int exec_fd, int in_r, int out_w, int err_w) {
  int src[3 + MAX_PASS];
  int n = 3 + npass;
  src[0] = in_r;
  src[1] = out_w;
  src[2] = err_w;
  for (int i = 0; i < npass; i++) src[3 + i] = pass_fds[i];
  child_pid = fork();
  if (child_pid < 0) die("fork", NULL, errno);
  if (child_pid > 0) return;
  /* Above every target first, so that no dup2 overwrites a source still needed. */
  for (int i = 0; i < n; i++) {
    src[i] = fcntl(src[i], F_DUPFD_CLOEXEC, n);
    if (src[i] < 0) _exit(127);
  }
  for (int i = 0; i < n; i++) {
    if (dup2(src[i], i) < 0) _exit(127);
  }
  /* All of the monitor's fds are close-on-exec already; this is the belt to those braces. */
  syscall(SYS_close_range, (unsigned)n, ~0U, CLOSE_RANGE_CLOEXEC);
  signal(SIGPIPE, SIG_DFL);
  sigprocmask(SIG_SETMASK, &old_mask, NULL);
  umask(old_umask);
  const char *exec_path = child_argv[0];
  if (argv0) child_argv[0] = (char *)argv0;
  extern char **environ;
  /* An fd of ours (a memfd) through the fd opened at the start: its number may be taken by a mapped fd now. A path
   * on the host as it is: a script's interpreter could not open a close-on-exec fd. */
  if (exec_fd >= 0) syscall(SYS_execveat, exec_fd, "", child_argv, environ, AT_EMPTY_PATH);
  else execve(exec_path, child_argv, environ);
  warn("berth-monitor: exec %s: %s", child_argv[0], strerror(errno));
  _exit(127);
}

/* ---- the end ---- */

static void write_exit_file(void) {
  if (!exit_path) return;
  int oom = 0;
  if (oom_file && oom_key) {
    FILE *f = fopen(oom_file, "re");
    if (f) {
      char line[256], key[128];
      long long v;
      while (fgets(line, sizeof line, f)) {
        if (sscanf(line, "%127s %lld", key, &v) == 2 && strcmp(key, oom_key) == 0 && v > 0) oom = 1;
      }
      fclose(f);
    }
  }
  int sig = WIFSIGNALED(exit_status) ? WTERMSIG(exit_status) : 0;
  int code = sig ? 128 + sig : WEXITSTATUS(exit_status);
  char started[40], finished[40], json[512];
  rfc3339(started, sizeof started, &started_at);
  rfc3339(finished, sizeof finished, &finished_at);
  int len = snprintf(json, sizeof json,
                     "{\"pid\":%d,\"exitCode\":%d,\"signal\":%d,\"oomKilled\":%s,\"startedAt\":\"%s\",\"finishedAt\":\"%s\"}",
                     (int)container_pid, code, sig, oom ? "true" : "false", started, finished);
  snprintf(path_a, sizeof path_a, "%s.tmp", exit_path);
  int fd = open(path_a, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  int renamed = 0;
  if (fd < 0 || write(fd, json, (size_t)len) != len || fsync(fd) < 0 || rename(path_a, exit_path) < 0) {
    warn("berth-monitor: write exit file %s: %s", exit_path, strerror(errno));
  } else {
    renamed = 1;
  }
  if (fd >= 0) close(fd);
  /* The file is in place for every reader: the attached clients hear of the exit now, and the
     directory's fsync (for a power cut only) is off their path. A client that removes the
     directory meanwhile leaves nothing to sync. */
  broadcast(OUT_EXIT, json, (size_t)len);
  if (renamed) {
    snprintf(path_b, sizeof path_b, "%s", exit_path);
    char *slash = strrchr(path_b, '/');
    if (slash == path_b) slash[1] = 0;
    else if (slash) *slash = 0;
    else strcpy(path_b, ".");
    int dir = open(path_b, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir >= 0) {
      fsync(dir);
      close(dir);
    }
  }
}

/* After the container init exited: what its streams still hold (a grandchild may keep them open: bounded). */
static void drain(void) {
  int64_t end = ms_now() + DRAIN_MAX_MS;
  while ((out_fd >= 0 || err_fd >= 0 || pty_fd >= 0) && ms_now() < end) {
    struct pollfd p[3] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}, {pty_fd, POLLIN, 0}};
    int r = poll(p, 3, DRAIN_IDLE_MS);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    if (p[0].revents) read_stream(&out_fd, &s_out);
    if (p[1].revents) read_stream(&err_fd, &s_err);
    if (p[2].revents) read_stream(&pty_fd, &s_out);
  }
  /* What is left of a line goes out as partial. */
  s_out.eof = s_err.eof = 1;
  log_stream(&s_out, 0);
  log_stream(&s_err, 0);
}

/* Whether a process watching exits holds its (shared) lock on --exit-watchers: then it reconciles the exit itself and
 * the exit command is not needed. A file that is missing or unlocked means nobody watches (a watcher that died lost
 * its lock with it). */
static int watched(void) {
  if (!exit_watchers) return 0;
  int fd = open(exit_watchers, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return 0;
  int held = flock(fd, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK;
  close(fd);
  return held;
}

static void run_exit_command(void) {
  if (nexit == 0 || watched()) return;
  pid_t pid = fork();
  if (pid != 0) return; /* the monitor exits next: the command is adopted and reaped by our reaper or pid 1 */
  setsid();
  int null = open("/dev/null", O_RDWR);
  if (null >= 0) {
    dup2(null, 0);
    dup2(null, 1);
    dup2(null, 2);
  }
  syscall(SYS_close_range, 3U, ~0U, 0U);
  sigprocmask(SIG_SETMASK, &old_mask, NULL);
  signal(SIGPIPE, SIG_DFL);
  umask(old_umask);
  extern char **environ;
  execve(exit_argv[0], exit_argv, environ);
  _exit(127);
}

/* ---- main ---- */

static void parse(int argc, char **argv) {
  int i = 1;
  for (; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "--") == 0) {
      i++;
      break;
    }
    if (strcmp(a, "--stdin") == 0) { want_stdin = 1; continue; }
    if (strcmp(a, "--stdin-once") == 0) { stdin_once = 1; continue; }
    if (strcmp(a, "--exit-command") == 0) {
      for (i++; i < argc && strcmp(argv[i], "--exit-command-end") != 0; i++) {
        if (nexit == MAX_ARGS) usage("too many arguments in", a);
        exit_argv[nexit++] = argv[i];
      }
      if (i == argc) usage("missing --exit-command-end", NULL);
      continue;
    }
    if (!v) usage("missing the value of", a);
    i++;
    if (strcmp(a, "--log") == 0) log_path = v;
    else if (strcmp(a, "--log-root") == 0) log_root = v;
    else if (strcmp(a, "--log-max-size") == 0) log_max_size = number(v, a);
    else if (strcmp(a, "--log-max-files") == 0) log_max_files = (int)number(v, a);
    else if (strcmp(a, "--attach") == 0) attach_path = v;
    else if (strcmp(a, "--console-socket") == 0) console_path = v;
    else if (strcmp(a, "--exit-file") == 0) exit_path = v;
    else if (strcmp(a, "--oom-file") == 0) oom_file = v;
    else if (strcmp(a, "--oom-key") == 0) oom_key = v;
    else if (strcmp(a, "--argv0") == 0) argv0 = v;
    else if (strcmp(a, "--exit-watchers") == 0) exit_watchers = v;
    else if (strcmp(a, "--pass-fd") == 0) {
      if (npass == MAX_PASS) usage("too many", a);
      pass_fds[npass++] = (int)number(v, a);
    } else if (strcmp(a, "--id") == 0) {
      /* for ps and for the messages: nothing else */
    } else usage("unknown flag", a);
  }
  for (; i < argc; i++) {
    if (nchild == MAX_ARGS) usage("too many arguments in the child command", NULL);
    child_argv[nchild++] = argv[i];
  }
  if (nchild == 0) usage("no child command after --", NULL);
  if (log_path && log_path[0] != '/') usage("--log must be absolute:", log_path);
  if (log_root && !log_path) usage("--log-root without --log", NULL);
  if (want_stdin && console_path) usage("--stdin with --console-socket: the terminal is the stdin", NULL);
}

/* ---- pause: the pid 1 of a pod's shared pid namespace, or the holder of a pod's user namespace ----
 *
 * `berth-monitor pause`: a new pid namespace whose init only reaps: the orphans of the pod's containers are
 * reparented to it and must not stay zombies. Fd 3 is the control socket: "READY <pid>" (the init's pid as this
 * side numbers it) or "ERROR ...", then it is closed. The init ends on SIGTERM or SIGINT (SIGKILL ends it anyway).
 *
 * `berth-monitor pause --userns --uid-map MAP --gid-map MAP [--pid]`: the process is born in a new user namespace
 * with these maps, in a new net, ipc and uts namespace (and pid namespace with --pid, of which it is then the init)
 * that this user namespace owns, so the root of a pod's containers has its capabilities over them. Java cannot make
 * it: a multi-threaded process can neither unshare nor join a user namespace.
 */
static int pause_signals(void) {
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGCHLD);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  return signalfd(-1, &mask, SFD_CLOEXEC);
}

/* Reaps what it is given (as a pid namespace's init: every orphan in it) until SIGTERM or SIGINT. */
static void __attribute__((noreturn)) pause_loop(int fd) {
  for (;;) {
    struct signalfd_siginfo si;
    ssize_t n = read(fd, &si, sizeof si);
    if (n < 0 && errno == EINTR) continue;
    if (n != (ssize_t)sizeof si) _exit(1);
    if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) _exit(0);
    while (waitpid(-1, NULL, WNOHANG) > 0) {}
  }
}

static int write_map(pid_t pid, const char *name, const char *map) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, name);
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  size_t n = strlen(map);
  ssize_t w = write(fd, map, n); /* the kernel takes a whole map in one write */
  int err = errno;
  close(fd);
  if (w == (ssize_t)n) return 0;
  errno = w < 0 ? err : EIO;
  return -1;
}

/* What the holder sends its parent on the done pipe: {0, 0} once it is set up, else the step that failed and errno. */
static const char *const holder_steps[] = {"", "setsid", "setgroups", "setresgid 0", "setresuid 0",
                                           "prctl PR_SET_DUMPABLE", "chdir /", "signalfd"};

static void __attribute__((noreturn)) holder_fail(int done, int step) {
  int m[2] = {step, errno};
  if (write(done, m, sizeof m) < 0) {}
  _exit(1);
}

/* The holder, just cloned into its namespaces. Once its maps are written it becomes its user namespace's root (the
 * mapped uid on the host, not host root), then undumpable (an id change resets dumpable, so after it): no process of
 * the pod's can ptrace it or reach its /proc/PID/root, fd or environ. */
static void __attribute__((noreturn)) holder_main(int go, int done) {
  char c;
  ssize_t r;
  while ((r = read(go, &c, 1)) < 0 && errno == EINTR) {}
  if (r != 1) _exit(1); /* the parent gave up */
  /* Of the monitor's fds only the done pipe stays, until we are ready. */
  if (done > 3) syscall(SYS_close_range, 3U, (unsigned)done - 1, 0U);
  syscall(SYS_close_range, (unsigned)done + 1, ~0U, 0U);
  ctl_fd = -1;
  if (setsid() < 0) holder_fail(done, 1);
  if (setgroups(0, NULL) < 0) holder_fail(done, 2); /* the host's supplementary groups */
  if (setresgid(0, 0, 0) < 0) holder_fail(done, 3);
  if (setresuid(0, 0, 0) < 0) holder_fail(done, 4);
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) holder_fail(done, 5);
  prctl(PR_SET_NAME, "berth-pause", 0, 0, 0);
  if (chdir("/") < 0) holder_fail(done, 6);
  int fd = pause_signals();
  if (fd < 0) holder_fail(done, 7);
  int ok[2] = {0, 0};
  if (write(done, ok, sizeof ok) != (ssize_t)sizeof ok) _exit(1);
  close(done);
  pause_loop(fd);
}

static int pause_userns(const char *uid_map, const char *gid_map, int new_pid) {
  int go[2], done[2];
  if (pipe2(go, O_CLOEXEC) < 0 || pipe2(done, O_CLOEXEC) < 0) die("pipe", NULL, errno);
  /* One clone: it makes the user namespace first, so that one owns the others. */
  unsigned long flags = CLONE_NEWUSER | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | (new_pid ? CLONE_NEWPID : 0);
  long pid = syscall(SYS_clone, flags | SIGCHLD, 0, NULL, NULL, 0);
  if (pid < 0) die("clone the pod's user namespace", NULL, errno);
  if (pid == 0) {
    close(go[1]);
    close(done[0]);
    holder_main(go[0], done[1]);
  }
  close(go[0]);
  close(done[1]);
  /* Host root may write any map. No setgroups "deny": the pod's containers need setgroups. */
  const char *what = NULL, *detail = NULL;
  int err = 0;
  if (write_map((pid_t)pid, "uid_map", uid_map) < 0) {
    what = "write uid_map of the pod's user namespace";
    err = errno;
  } else if (write_map((pid_t)pid, "gid_map", gid_map) < 0) {
    what = "write gid_map of the pod's user namespace";
    err = errno;
  } else if (write(go[1], "g", 1) != 1) {
    what = "start the pod's user namespace holder";
    err = errno;
  } else {
    /* READY only once it is set up: before, it is still host root and dumpable. */
    int m[2];
    ssize_t r;
    while ((r = read(done[0], m, sizeof m)) < 0 && errno == EINTR) {}
    if (r != (ssize_t)sizeof m) {
      what = "the pod's user namespace holder exited before it was ready";
      err = r < 0 ? errno : 0;
    } else if (m[0] != 0) {
      what = "set up the pod's user namespace holder:";
      detail = m[0] > 0 && m[0] < (int)(sizeof holder_steps / sizeof *holder_steps) ? holder_steps[m[0]] : "?";
      err = m[1];
    }
  }
  if (what) {
    kill((pid_t)pid, SIGKILL);
    while (waitpid((pid_t)pid, NULL, 0) < 0 && errno == EINTR) {}
    die(what, detail, err);
  }
  ctl_send("READY %ld", pid);
  _exit(0);
}

static int pause_main(int argc, char **argv) {
  int userns = 0, new_pid = 0;
  const char *uid_map = NULL, *gid_map = NULL;
  for (int i = 2; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--userns") == 0) userns = 1;
    else if (strcmp(a, "--pid") == 0) new_pid = 1;
    else if (strcmp(a, "--uid-map") == 0 || strcmp(a, "--gid-map") == 0) {
      if (i + 1 == argc) usage("no value for", a);
      *(a[2] == 'u' ? &uid_map : &gid_map) = argv[++i];
    } else usage("pause: unknown flag", a);
  }
  if (userns) {
    if (!uid_map || !gid_map) usage("pause --userns needs --uid-map and --gid-map", NULL);
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, NULL);
    return pause_userns(uid_map, gid_map, new_pid);
  }
  if (argc > 2) usage("pause: --pid, --uid-map and --gid-map go with --userns", NULL);

  if (unshare(CLONE_NEWPID) < 0) die("unshare CLONE_NEWPID", NULL, errno);
  sigset_t all;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, NULL);
  pid_t p = fork();
  if (p < 0) die("fork", NULL, errno);
  if (p > 0) {
    ctl_send("READY %d", (int)p);
    _exit(0);
  }
  ctl_fd = -1;
  setsid();
  prctl(PR_SET_NAME, "berth-pause", 0, 0, 0);
  syscall(SYS_close_range, 3U, ~0U, 0U);
  if (chdir("/") < 0) _exit(1);
  int fd = pause_signals();
  if (fd < 0) _exit(1);
  pause_loop(fd);
}

int main(int argc, char **argv) {
  old_umask = umask(077);
  /* stdin and stdout to /dev/null; stderr too unless Java gave us one to tell our troubles to. */
  int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null < 0) return 1;
  int keep_err = fcntl(2, F_GETFD) >= 0 && null != 2;
  for (int fd = 0; fd < 3; fd++) {
    if (fd == null || (fd == 2 && keep_err)) continue;
    dup2(null, fd);
  }
  if (null > 2) close(null);
  if (fcntl(ctl_fd, F_GETFD) < 0) return 2;
  fcntl(ctl_fd, F_SETFD, FD_CLOEXEC);
  if (argc >= 2 && strcmp(argv[1], "pause") == 0) return pause_main(argc, argv);
  parse(argc, argv);

  /* Out of Java's process tree: the process Java spawned exits at once (Java reaps it), we go on. */
  pid_t p = fork();
  if (p < 0) die("fork", NULL, errno);
  if (p > 0) _exit(0);
  if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0) die("prctl PR_SET_CHILD_SUBREAPER", NULL, errno);
  signal(SIGPIPE, SIG_IGN);
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGCHLD);
  sigaddset(&mask, SIGUSR1);
  sigprocmask(SIG_BLOCK, &mask, &old_mask);
  sig_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sig_fd < 0) die("signalfd", NULL, errno);

  int exec_fd = -1, inherited_exe = -1;
  if (strncmp(child_argv[0], "/proc/self/fd/", 14) == 0) {
    inherited_exe = atoi(child_argv[0] + 14);
    exec_fd = open(child_argv[0], O_PATH | O_CLOEXEC);
    if (exec_fd < 0) die("open", child_argv[0], errno);
  } else if (access(child_argv[0], X_OK) < 0) {
    die("exec", child_argv[0], errno);
  }
  /* Every fd we were given is ours alone until the fork: none may reach the child but as mapped. */
  syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);

  if (log_path) {
    log_dir_fd = log_dir_open();
    if (log_dir_fd < 0) die("open the directory of log", log_path, errno);
    log_fd = openat(log_dir_fd, log_base, O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (log_fd >= 0) log_created = 1;
    else if (errno == EEXIST) log_fd = openat(log_dir_fd, log_base, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
    if (log_fd < 0) die("open log", log_path, errno);
    struct stat st;
    log_size = fstat(log_fd, &st) == 0 ? st.st_size : 0;
  }
  if (attach_path) attach_fd = listen_at(attach_path, SOCK_SEQPACKET);
  if (console_path) console_fd = listen_at(console_path, SOCK_STREAM);

  int po[2], pe[2], pi[2] = {-1, -1};
  if (pipe2(po, O_CLOEXEC) < 0 || pipe2(pe, O_CLOEXEC) < 0) die("pipe", NULL, errno);
  if (want_stdin) {
    if (pipe2(pi, O_CLOEXEC) < 0) die("pipe", NULL, errno);
  } else {
    pi[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (pi[0] < 0) die("open /dev/null", NULL, errno);
  }
  out_fd = po[0];
  err_fd = pe[0];
  stdin_w = pi[1];
  nonblock(out_fd);
  nonblock(err_fd);
  if (stdin_w >= 0) nonblock(stdin_w);

  fork_child(exec_fd, pi[0], po[1], pe[1]);
  if (exec_fd >= 0) close(exec_fd);
  close(pi[0]);
  close(po[1]);
  close(pe[1]);
  for (int i = 0; i < npass; i++) close(pass_fds[i]);
  if (inherited_exe > 2 && inherited_exe != ctl_fd) close(inherited_exe);
  ctl_send("READY %d %d", (int)getpid(), (int)child_pid);

  static struct pollfd pfd[8 + MAX_CLIENTS];
  while (!exited) {
    int n = 0, i_ctl = -1, i_sig, i_out = -1, i_err = -1, i_pty = -1, i_con = -1, i_att = -1, i_in = -1, i_cl;
    if (ctl_fd >= 0) pfd[i_ctl = n++] = (struct pollfd){ctl_fd, POLLIN, 0};
    pfd[i_sig = n++] = (struct pollfd){sig_fd, POLLIN, 0};
    if (out_fd >= 0) pfd[i_out = n++] = (struct pollfd){out_fd, POLLIN, 0};
    if (err_fd >= 0) pfd[i_err = n++] = (struct pollfd){err_fd, POLLIN, 0};
    if (pty_fd >= 0) pfd[i_pty = n++] = (struct pollfd){pty_fd, POLLIN, 0};
    if (console_fd >= 0) pfd[i_con = n++] = (struct pollfd){console_fd, POLLIN, 0};
    if (attach_fd >= 0) pfd[i_att = n++] = (struct pollfd){attach_fd, POLLIN, 0};
    if (stdin_len > 0 && stdin_target() >= 0) pfd[i_in = n++] = (struct pollfd){stdin_target(), POLLOUT, 0};
    /* While stdin waits for the container, clients are not polled at all (their packets wait in their sockets): not
     * even for a hangup, which would drop a client that sent its last stdin and left before the container took it. */
    i_cl = n;
    for (int c = 0; c < nclients; c++) pfd[n++] = (struct pollfd){stdin_len ? -1 : clients[c].fd, POLLIN, 0};
    if (poll(pfd, (nfds_t)n, -1) < 0) {
      if (errno == EINTR) continue;
      die("poll", NULL, errno);
    }
    if (pfd[i_sig].revents) read_signals();
    /* New clients before the streams: one that connected before the container wrote (berth run attaches, then
     * starts) gets that output, not only the log. After a broadcast dropped a client, no accept may reuse its fd in
     * this round: the client loop below tells slots apart by fd. */
    if (i_att >= 0 && pfd[i_att].revents) accept_clients();
    if (i_out >= 0 && pfd[i_out].revents) read_stream(&out_fd, &s_out);
    if (i_err >= 0 && pfd[i_err].revents) read_stream(&err_fd, &s_err);
    if (i_pty >= 0 && pfd[i_pty].revents) read_stream(&pty_fd, &s_out);
    if (i_con >= 0 && pfd[i_con].revents) accept_console();
    if (i_in >= 0 && pfd[i_in].revents) flush_stdin();
    /* Clients last, from the back: a dropped client's slot takes the last one's. */
    int ncl = n - i_cl;
    for (int c = ncl - 1; c >= 0; c--) {
      if (c >= nclients || pfd[i_cl + c].fd != clients[c].fd || !pfd[i_cl + c].revents) continue;
      if ((pfd[i_cl + c].revents & POLLIN) ? client_packet(&clients[c]) < 0 : 1) drop_client(c);
    }
    if (i_ctl >= 0 && ctl_fd >= 0 && pfd[i_ctl].revents) read_ctl();
  }

  /* Clients already waiting in the backlog are taken first: the round that saw the exit may have polled before they
   * connected (reap finds every child that exited until it looks), and they get the drained output and the exit.
   * Then no new clients: once the exit file is there the sockets are gone, and their paths free for a restart. */
  if (attach_fd >= 0) accept_clients();
  close_fd(&stdin_w);
  if (attach_path) unlink(attach_path);
  close_fd(&attach_fd);
  if (console_fd >= 0) unlink(console_path);
  close_fd(&console_fd);
  drain();
  write_exit_file();
  for (int c = nclients - 1; c >= 0; c--) drop_client(c);
  if (log_dropped) warn("berth-monitor: %lu log records dropped", log_dropped);
  run_exit_command();
  return 0;
}
