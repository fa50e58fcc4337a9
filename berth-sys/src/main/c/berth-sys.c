/*
 * berth-sys: the JNI door to the kernel. It decides nothing: Java builds every argument (structs and strings in
 * direct ByteBuffers whose addresses it passes as longs) and interprets every result.
 *
 * - syscall6: one trampoline for every syscall; errno is read right after the call on the same thread and returned
 *   as -errno, so it can never be read from the wrong thread (STYLE rule 2).
 * - address: the address of a direct ByteBuffer.
 * - spawn: posix_spawn, the one libc call that is not a syscall; the JVM must not fork (DESIGN "Java plans, C
 *   executes"), and glibc's posix_spawn uses clone(CLONE_VM|CLONE_VFORK), which is safe in a multi-threaded process.
 *
 * berth-inflate.c, in the same library, is the one door that is not to the kernel: ISA-L's gzip inflation.
 */
#define _GNU_SOURCE
#include <jni.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

JNIEXPORT jlong JNICALL Java_dev_berth_sys_Native_syscall6(JNIEnv *env, jclass cls, jlong nr, jlong a1, jlong a2,
                                                           jlong a3, jlong a4, jlong a5, jlong a6) {
  (void)env;
  (void)cls;
  long r = syscall((long)nr, (long)a1, (long)a2, (long)a3, (long)a4, (long)a5, (long)a6);
  return r == -1 ? -(jlong)errno : (jlong)r;
}

JNIEXPORT jlong JNICALL Java_dev_berth_sys_Native_address(JNIEnv *env, jclass cls, jobject buffer) {
  (void)cls;
  return (jlong)(uintptr_t)(*env)->GetDirectBufferAddress(env, buffer);
}

/*
 * Spawns path with argv and envp (NULL-terminated arrays of C strings, built by Java). fdmap holds nfds pairs
 * (childFd, parentFd): the child's fd table is exactly these fds, nothing else is inherited. Returns the pid or
 * -errno.
 *
 * Each source is first duplicated (close-on-exec) in the parent to a number above every child fd, so applying the
 * dup2 actions in any order can never overwrite a source that is still to be copied (e.g. the map 3<-4, 4<-3).
 */
JNIEXPORT jint JNICALL Java_dev_berth_sys_Native_spawn(JNIEnv *env, jclass cls, jlong path, jlong argv, jlong envp,
                                                       jlong fdmap, jint nfds, jboolean setsid) {
  (void)env;
  (void)cls;
  const int *map = (const int *)(uintptr_t)fdmap;
  int top = -1;
  for (int i = 0; i < nfds; i++) {
    if (map[2 * i] < 0 || map[2 * i + 1] < 0) return -EBADF;
    if (map[2 * i] > top) top = map[2 * i];
  }
  int *tmp = NULL;
  if (nfds > 0) {
    tmp = malloc(sizeof(int) * (size_t)nfds);
    if (tmp == NULL) return -ENOMEM;
  }
  int err = 0, made = 0;
  for (; made < nfds; made++) {
    tmp[made] = fcntl(map[2 * made + 1], F_DUPFD_CLOEXEC, top + 1);
    if (tmp[made] < 0) {
      err = errno;
      break;
    }
  }
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  int haveFa = 0, haveAttr = 0;
  if (err == 0) {
    err = posix_spawn_file_actions_init(&fa);
    haveFa = err == 0;
  }
  /* dup2 clears close-on-exec on the copy, so exactly the mapped fds survive the exec. */
  for (int i = 0; err == 0 && i < nfds; i++) err = posix_spawn_file_actions_adddup2(&fa, tmp[i], map[2 * i]);
  /* Unmapped numbers below the top child fd (stdio too, when not mapped) are closed: the map is the whole table. */
  for (int fd = 0; err == 0 && fd <= top; fd++) {
    int mapped = 0;
    for (int i = 0; i < nfds && !mapped; i++) mapped = map[2 * i] == fd;
    if (!mapped) err = posix_spawn_file_actions_addclose(&fa, fd);
  }
#if defined(__GLIBC_PREREQ) && __GLIBC_PREREQ(2, 34)
  if (err == 0) err = posix_spawn_file_actions_addclosefrom_np(&fa, top + 1);
#else
#error "berth-sys needs glibc >= 2.34 for posix_spawn_file_actions_addclosefrom_np"
#endif
  if (err == 0) {
    err = posix_spawnattr_init(&attr);
    haveAttr = err == 0;
  }
  if (err == 0) {
    /* The JVM blocks and handles signals; the child starts with none blocked and every disposition at default. */
    sigset_t none, all;
    sigemptyset(&none);
    /* Every bit, not sigfillset: glibc's sigfillset leaves out its internal signals 32 and 33, and its posix_spawn
       then sets those to SIG_IGN in the child, an ignored disposition exec would pass on to the container. */
    memset(&all, 0xff, sizeof all);
    short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
    if (setsid) flags |= POSIX_SPAWN_SETSID;
    err = posix_spawnattr_setsigmask(&attr, &none);
    if (err == 0) err = posix_spawnattr_setsigdefault(&attr, &all);
    if (err == 0) err = posix_spawnattr_setflags(&attr, flags);
  }
  pid_t pid = -1;
  if (err == 0) {
    err = posix_spawn(&pid, (const char *)(uintptr_t)path, haveFa ? &fa : NULL, &attr,
                      (char *const *)(uintptr_t)argv, (char *const *)(uintptr_t)envp);
  }
  if (haveAttr) posix_spawnattr_destroy(&attr);
  if (haveFa) posix_spawn_file_actions_destroy(&fa);
  for (int i = 0; i < made; i++) close(tmp[i]);
  free(tmp);
  return err != 0 ? -err : pid;
}
