/*
 * drive-init: plays the runtime's side of the berth-init protocol for end-to-end tests (BerthInitEndToEndTest), so
 * berth-init can be tested without the Java runtime or berth-sys.
 *
 *   drive-init [-p FILE] [-f FIFO] [-m IDMAP] BERTH_INIT PLAN_FILE GO_FILE TRANSCRIPT
 *
 * PLAN_FILE and GO_FILE hold the PLAN and GO payloads (Plan.encode(), SyncMessages.encodeGo()). The driver starts
 * berth-init with the sync socket at fd 3 (fd 4 with -p FILE, which is opened at fd 3 as a preserved fd), answers PID
 * with GO (after writing IDMAP to the child's uid_map and gid_map with -m), HOOKS with HOOKS_DONE, READY by writing a
 * byte to FIFO (with -f), SECCOMP_FD by closing the notify fd (notified syscalls then fail with ENOSYS) and answering
 * SECCOMP_DONE, copies a PTY's output to stdout, and writes one line per event to TRANSCRIPT:
 *   PID n | HOOKS | PTY | SECCOMP | READY | ERROR op errno detail | EOF | INIT-EXIT n | EXIT n | SIGNAL n
 * The container's stdout and stderr are the driver's. An fd that is not close-on-exec is left open at fd 50, so
 * tests can check that CLOSE_FDS keeps it from the container.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define LEAKED_FD 50

static FILE *transcript;
static pid_t container = -1;

static void die(const char *what) {
  fprintf(stderr, "drive-init: %s: %s\n", what, strerror(errno));
  if (container > 0) kill(container, SIGKILL);
  exit(2);
}

static void on_alarm(int sig) {
  (void)sig;
  if (container > 0) kill(container, SIGKILL);
  static const char m[] = "drive-init: timed out\n";
  (void)!write(2, m, sizeof m - 1);
  _exit(3);
}

static char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) die(path);
  size_t cap = 1 << 16, n = 0, r;
  char *b = malloc(cap);
  while ((r = fread(b + n, 1, cap - n, f)) > 0) {
    n += r;
    if (n == cap) b = realloc(b, cap *= 2);
  }
  fclose(f);
  *len = n;
  return b;
}

static void send_frame(int fd, uint32_t type, const void *payload, uint32_t len) {
  uint32_t hdr[2] = {type, len};
  if (write(fd, hdr, 8) != 8) die("write header");
  size_t off = 0;
  while (off < len) {
    ssize_t n = write(fd, (const char *)payload + off, len - off);
    if (n <= 0) die("write payload");
    off += (size_t)n;
  }
}

static int read_full(int fd, void *buf, size_t n) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = read(fd, (char *)buf + got, n - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return -1;
    got += (size_t)r;
  }
  return 0;
}

/* One frame; the header is read with recvmsg so an SCM_RIGHTS fd sent with it arrives. Returns 0 at EOF. */
static int recv_frame(int fd, uint32_t *type, char **payload, uint32_t *len, int *passed) {
  uint32_t hdr[2];
  union { char buf[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } ctl;
  struct iovec iov = {hdr, 8};
  struct msghdr mh;
  memset(&mh, 0, sizeof mh);
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  mh.msg_control = ctl.buf;
  mh.msg_controllen = sizeof ctl.buf;
  ssize_t n;
  do n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC); while (n < 0 && errno == EINTR);
  if (n < 0) die("recvmsg");
  if (n == 0) return 0;
  *passed = -1;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) memcpy(passed, CMSG_DATA(c), sizeof(int));
  }
  if (n < 8 && read_full(fd, (char *)hdr + n, 8 - (size_t)n) < 0) die("short header");
  *type = hdr[0];
  *len = hdr[1];
  *payload = malloc(*len + 1);
  if (*len && read_full(fd, *payload, *len) < 0) die("short payload");
  (*payload)[*len] = 0;
  return 1;
}

static void write_map(pid_t pid, const char *file, const char *map) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, file);
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0 || write(fd, map, strlen(map)) != (ssize_t)strlen(map)) die(path);
  close(fd);
}

static void report_status(const char *exited, int status) {
  if (WIFEXITED(status)) fprintf(transcript, "%s %d\n", exited, WEXITSTATUS(status));
  else if (WIFSIGNALED(status)) fprintf(transcript, "SIGNAL %d\n", WTERMSIG(status));
}

int main(int argc, char **argv) {
  const char *preserve = NULL, *fifo = NULL, *idmap = NULL;
  int opt;
  while ((opt = getopt(argc, argv, "p:f:m:")) != -1) {
    if (opt == 'p') preserve = optarg;
    else if (opt == 'f') fifo = optarg;
    else if (opt == 'm') idmap = optarg;
    else return 2;
  }
  if (argc - optind != 4) {
    fprintf(stderr, "usage: drive-init [-p FILE] [-f FIFO] [-m IDMAP] BERTH_INIT PLAN GO TRANSCRIPT\n");
    return 2;
  }
  const char *init = argv[optind], *plan_file = argv[optind + 1], *go_file = argv[optind + 2];
  /* Far above the fds the container gets (3 may be the preserved one), and close-on-exec. */
  int tfd = open(argv[optind + 3], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  int high = tfd < 0 ? -1 : fcntl(tfd, F_DUPFD_CLOEXEC, 60);
  if (high < 0 || !(transcript = fdopen(high, "w"))) die(argv[optind + 3]);
  close(tfd);
  setvbuf(transcript, NULL, _IOLBF, 0);
  signal(SIGALRM, on_alarm);
  alarm(60);

  size_t plan_len, go_len;
  char *plan = slurp(plan_file, &plan_len), *go = slurp(go_file, &go_len);

  int leak = open("/dev/null", O_RDONLY);
  if (leak < 0 || dup2(leak, LEAKED_FD) < 0) die("leak an fd");
  close(leak);
  int sync_at = 3;
  if (preserve) {
    int fd = open(preserve, O_RDWR | O_APPEND);
    if (fd < 0 || (fd != 3 && (dup2(fd, 3) < 0 || close(fd) < 0))) die(preserve);
    sync_at = 4;
  }
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) die("socketpair");
  pid_t pid = fork();
  if (pid < 0) die("fork");
  if (pid == 0) {
    char num[16];
    int high = fcntl(sv[1], F_DUPFD_CLOEXEC, 100);
    if (high < 0 || dup2(high, sync_at) < 0) die("place the sync socket");
    snprintf(num, sizeof num, "%d", sync_at);
    execl(init, "berth-init", num, (char *)NULL);
    die(init);
  }
  close(sv[1]);
  send_frame(sv[0], 1, plan, (uint32_t)plan_len);

  int master = -1;
  for (;;) {
    uint32_t type, len;
    char *p;
    int passed;
    if (!recv_frame(sv[0], &type, &p, &len, &passed)) {
      fprintf(transcript, "EOF\n");
      break;
    }
    switch (type) {
    case 2: {
      uint32_t cpid;
      memcpy(&cpid, p, 4);
      container = (pid_t)cpid;
      fprintf(transcript, "PID %u\n", cpid);
      if (idmap) {
        write_map(container, "uid_map", idmap);
        write_map(container, "gid_map", idmap);
      }
      send_frame(sv[0], 3, go, (uint32_t)go_len);
      break;
    }
    case 4:
      fprintf(transcript, "HOOKS\n");
      send_frame(sv[0], 5, NULL, 0);
      break;
    case 6:
      fprintf(transcript, "READY\n");
      if (fifo) {
        /* As start: open to read (the init's open to write returns), then take the init's byte. */
        int fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0) die(fifo);
        char b;
        int tries = 0;
        while (read(fd, &b, 1) != 1) {
          if (++tries > 10000) die(fifo);
          usleep(1000);
        }
        close(fd);
      }
      break;
    case 7: {
      uint32_t op, slen;
      int32_t err;
      memcpy(&op, p, 4);
      memcpy(&err, p + 4, 4);
      memcpy(&slen, p + 8, 4);
      fprintf(transcript, "ERROR %d %d %s\n", (int32_t)op, err, p + 12);
      break;
    }
    case 8:
      fprintf(transcript, "PTY%s\n", passed >= 0 ? "" : " without fd");
      master = passed;
      send_frame(sv[0], 9, NULL, 0);
      break;
    case 10:
      fprintf(transcript, "SECCOMP%s\n", passed >= 0 ? "" : " without fd");
      if (passed >= 0) close(passed);
      send_frame(sv[0], 11, NULL, 0);
      break;
    default:
      fprintf(transcript, "MESSAGE %u\n", type);
    }
    free(p);
  }
  if (master >= 0) {
    char buf[4096];
    ssize_t n;
    while ((n = read(master, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR)) {
      if (n > 0 && write(1, buf, (size_t)n) != n) break;
    }
  }
  int status;
  if (waitpid(pid, &status, 0) == pid) report_status("INIT-EXIT", status);
  if (container > 0 && waitpid(container, &status, 0) == container) report_status("EXIT", status);
  fclose(transcript);
  return 0;
}
