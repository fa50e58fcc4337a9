package dev.berth.api.docker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.api.socket.UnixSocketFiles;
import dev.berth.engine.Engine;
import dev.berth.engine.EngineConfig;
import dev.berth.testkit.Busybox;
import dev.berth.testkit.Exec;
import dev.berth.testkit.RequiresCommand;
import dev.berth.testkit.RequiresRoot;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * berthd's Docker API against a hostile client, on a real server over a real engine store: create
 * bodies whose HostConfig would reach the host, names that would be paths, the sockets' modes, and
 * hijacked streams the client walks away from. Each refusal is dockerd's status with a message
 * naming the field, leaves no record, snapshot or mount, and the daemon keeps serving.
 */
@RequiresRoot
@org.junit.jupiter.api.Timeout(180)
class DockerHostileRequestTest {
  static final String IMAGE = "localhost/busybox:latest";
  static final Map<String, String> UPGRADE = Map.of("Connection", "Upgrade", "Upgrade", "tcp");

  @TempDir Path tmp;
  Engine engine;
  DockerApiServer server;
  Path socket;

  @BeforeEach
  void start() throws Exception {
    engine = Engine.open(EngineConfig.at(tmp.resolve("root"), tmp.resolve("run")));
    Path rootfs = Busybox.rootfs(tmp.resolve("rootfs"));
    Path tar = tmp.resolve("busybox.tar");
    Exec.run("tar", "-C", rootfs.toString(), "-cf", tar.toString(), ".").ok();
    engine.images().importRootfs(tar, IMAGE, null);
    socket = tmp.resolve("docker.sock");
    server = serve(socket, null);
  }

  private DockerApiServer serve(Path at, String group) throws IOException {
    DaemonInfo info = new DaemonInfo("0.1.0-test", "test");
    return DockerApiServer.start(
        new DockerApiServer.Options(at, group, info.serverHeader(), 0, 0, null),
        DockerApi.router(engine, info));
  }

  @AfterEach
  void stop() throws Exception {
    if (server != null) server.close();
    if (engine != null) {
      for (var r : engine.list()) engine.remove(r.id(), true, true);
      engine.close();
    }
    assertFalse(
        Exec.run("cat", "/proc/self/mountinfo").ok().stdout().contains(tmp.toString()),
        "nothing stays mounted under the test's directory");
  }

  private UnixHttp.Response call(String method, String path, String body) throws IOException {
    try (UnixHttp c = new UnixHttp(socket)) {
      return c.call(
          method,
          path,
          Map.of("Content-Type", "application/json"),
          body == null ? null : body.getBytes(StandardCharsets.UTF_8));
    }
  }

  /** A create body: busybox's {@code true} without a network, {@code hostConfig} added. */
  private static String create(String config, String hostConfig) {
    return "{\"Image\":\""
        + IMAGE
        + "\",\"Cmd\":[\"true\"]"
        + (config.isEmpty() ? "" : "," + config)
        + ",\"HostConfig\":{\"NetworkMode\":\"none\""
        + (hostConfig.isEmpty() ? "" : "," + hostConfig)
        + "}}";
  }

  private static String id(UnixHttp.Response r) {
    return r.text().trim().replaceAll(".*\"Id\":\"([0-9a-f]+)\".*", "$1");
  }

  private void assertRefused(int status, String naming, UnixHttp.Response r, String what) {
    assertEquals(status, r.status(), what + ": " + r.text());
    assertTrue(r.text().contains(naming), what + ": the message names " + naming + ": " + r.text());
  }

  private void assertNothingLeft() throws Exception {
    assertEquals(List.of(), engine.list(), "no container record");
    for (Path dir : List.of(tmp.resolve("root/containers"), tmp.resolve("run/containers"))) {
      if (!Files.isDirectory(dir)) continue;
      try (Stream<Path> s = Files.list(dir)) {
        assertEquals(List.of(), s.map(p -> p.getFileName().toString()).toList(), dir.toString());
      }
    }
    assertFalse(
        Exec.run("cat", "/proc/self/mountinfo").ok().stdout().contains(tmp.toString()),
        "no mount of a refused container");
    assertEquals(200, call("GET", "/_ping", null).status(), "the daemon still serves");
  }

  @Test
  void hostConfigReachingTheHostIsRefusedNamingTheFieldAndLeavesNothing() throws Exception {
    String nul = "\\u0000";
    // {expected status, what the message names, config fields, HostConfig fields}
    String[][] cases = {
      {"400", "destination can't be '/'", "", "\"Binds\":[\"/etc:/\"]"},
      {
        "400",
        "bind-propagation 'weird'",
        "",
        "\"Mounts\":[{\"Type\":\"bind\",\"Source\":\"/etc\",\"Target\":\"/x\","
            + "\"BindOptions\":{\"Propagation\":\"weird\"}}]"
      },
      {
        "400",
        "must be absolute",
        "",
        "\"Mounts\":[{\"Type\":\"bind\",\"Source\":\"etc\",\"Target\":\"/x\"}]"
      },
      {
        "400",
        "/dev/../etc/shadow: not a device node",
        "",
        "\"Devices\":[{\"PathOnHost\":\"/dev/../etc/shadow\",\"PathInContainer\":\"/dev/x\","
            + "\"CgroupPermissions\":\"rwm\"}]"
      },
      {"400", "CAP_NOPE", "", "\"CapAdd\":[\"NOPE\"]"},
      {
        "400",
        "net.ipv4.ip_forward=1: not allowed in the host's network namespace",
        "",
        "\"NetworkMode\":\"host\",\"Sysctls\":{\"net.ipv4.ip_forward\":\"1\"}"
      },
      {"400", "kernel.core_pattern", "", "\"Sysctls\":{\"kernel.core_pattern\":\"|/x\"}"},
      // A net.* prefix does not make a path under /proc/sys: the name is refused at create.
      {
        "400",
        "net.ipv4/../../kernel/core_pattern=|/x: not a sysctl name",
        "",
        "\"Sysctls\":{\"net.ipv4/../../kernel/core_pattern\":\"|/x\"}"
      },
      {"400", "not a sysctl name", "", "\"Sysctls\":{\"net.ipv4.conf.all.forwarding\\n\":\"1\"}"},
      // The runtime refused these at start (500); now create does, naming the flag.
      {"400", "--cgroup-parent", "", "\"CgroupParent\":\"/../../x\""},
      {"400", "--cgroup-parent", "", "\"CgroupParent\":\"../../../../x\""},
      // A path would have berthd open a host file (/dev/zero without end, /etc/shadow's first
      // token shown in the error): dockerd takes the profile's JSON only.
      {"400", "SecurityOpt", "", "\"SecurityOpt\":[\"seccomp=/etc/shadow\"]"},
      {"400", "SecurityOpt", "", "\"SecurityOpt\":[\"seccomp:/dev/zero\"]"},
      {"400", "decoding seccomp profile failed", "", "\"SecurityOpt\":[\"seccomp={bad json\"]"},
      {
        "400",
        "SCMP_ACT_WHAT",
        "",
        "\"SecurityOpt\":[\"seccomp={\\\"defaultAction\\\":\\\"SCMP_ACT_ALLOW\\\",\\\"syscalls\\\":"
            + "[{\\\"names\\\":[\\\"mkdir\\\"],\\\"action\\\":\\\"SCMP_ACT_WHAT\\\"}]}\"]"
      },
      {"400", "invalid ulimit type: nope", "", "\"Ulimits\":[{\"Name\":\"nope\",\"Soft\":1}]"},
      {
        "400",
        "invalid ulimit value '-5'",
        "",
        "\"Ulimits\":[{\"Name\":\"nofile\",\"Soft\":-5,\"Hard\":2}]"
      },
      {"400", "shmSize", "", "\"ShmSize\":-1"},
      {"400", "Minimum memory limit allowed is 6MB", "", "\"Memory\":1000"},
      {"400", "--memory-swap -5", "", "\"Memory\":10000000,\"MemorySwap\":-5"},
      {"400", "Requested CPUs are not available - requested 999", "", "\"CpusetCpus\":\"999\""},
      {"400", "--oom-score-adj 5000", "", "\"OomScoreAdj\":5000"},
      {"400", "unknown option 'bogus=1'", "", "\"Tmpfs\":{\"/x\":\"bogus=1\"}"},
      {"400", "'size=-1'", "", "\"Tmpfs\":{\"/x\":\"size=-1\"}"},
      {"400", "invalid env[0]", "\"Env\":[\"A=" + nul + "B\"]", ""},
      {"400", "invalid command[0]", "\"Entrypoint\":[\"echo\"],\"Cmd\":[\"a" + nul + "\"]", ""},
      {"400", "invalid workingDir", "\"WorkingDir\":\"/a" + nul + "b\"", ""},
      {"400", "needs to be an absolute path", "\"WorkingDir\":\"relative\"", ""},
      {"400", "invalid hostname format", "\"Hostname\":\"" + "h".repeat(65) + "\"", ""},
      {"400", "invalid hostname", "\"Hostname\":\"a" + nul + "b\"", ""},
      {"400", "user 4294967296", "\"User\":\"4294967296\"", ""},
    };
    for (String[] c : cases) {
      assertRefused(
          Integer.parseInt(c[0]),
          c[1].replace("\\\"", "\""),
          call("POST", "/v1.44/containers/create", create(c[2], c[3])),
          c[2] + c[3]);
    }
    // Container names are not paths; one longer than a file name was an internal error.
    for (String name : List.of("..%2F..%2Fx", "a%2Fb", "..", "a%00b", "x".repeat(300))) {
      assertRefused(
          400,
          "Invalid container name",
          call("POST", "/v1.44/containers/create?name=" + name, create("", "")),
          name);
    }
    // A profile beyond the body's bound is not read.
    String huge =
        create("", "\"SecurityOpt\":[\"seccomp={\\\"x\\\":\\\"" + "a".repeat(5 << 20) + "\\\"}\"]");
    try (UnixHttp c = new UnixHttp(socket)) {
      UnixHttp.Response r;
      try {
        r = c.call("POST", "/v1.44/containers/create", Map.of(), huge.getBytes());
      } catch (IOException closedWhileSending) {
        r = c.read(false);
      }
      assertEquals(413, r.status(), r.text());
    }
    assertNothingLeft();
  }

  /**
   * The values the engine writes into a container's /etc/hosts and /etc/resolv.conf (and, for
   * aliases, into its peers' /etc/hosts): a newline, NUL, blank, '#' or ';' would add a line of the
   * client's choosing (a nameserver, a host name on another address) or cut one. Refused naming the
   * flag, nothing left; honest values are written one line each.
   */
  @Test
  void valuesWrittenToEtcFilesAddNoLines() throws Exception {
    String nl = "\\n";
    String nul = "\\u0000";
    // {what the message names, HostConfig or NetworkingConfig fields}
    String[][] cases = {
      {"--add-host", "\"ExtraHosts\":[\"evil" + nl + "6.6.6.6 victim:10.0.0.1\"]"},
      {"--add-host", "\"ExtraHosts\":[\"a:10.0.0.1" + nl + "6.6.6.6 victim\"]"},
      {"--add-host", "\"ExtraHosts\":[\"a victim:10.0.0.1\"]"},
      {"--add-host", "\"ExtraHosts\":[\"a#x:10.0.0.1\"]"},
      {"--add-host", "\"ExtraHosts\":[\"a" + nul + "b:10.0.0.1\"]"},
      {"--add-host", "\"ExtraHosts\":[\"a:not-an-ip\"]"},
      {"--dns", "\"Dns\":[\"10.0.0.1" + nl + "nameserver 6.6.6.6\"]"},
      {"--dns", "\"Dns\":[\"evil.example\"]"},
      {"--dns", "\"Dns\":[\"10.0.0.1 6.6.6.6\"]"},
      {"--dns-search", "\"DnsSearch\":[\"a.example" + nl + "nameserver 6.6.6.6\"]"},
      {"--dns-search", "\"DnsSearch\":[\"a.example b.example\"]"},
      {"--dns-search", "\"DnsSearch\":[\"a" + nul + "b\"]"},
      {"--dns-option", "\"DnsOptions\":[\"ndots:1" + nl + "nameserver 6.6.6.6\"]"},
      {"--dns-option", "\"DnsOptions\":[\"#x\"]"},
      {"--dns-option", "\"DnsOptions\":[\"ndots:1;x\"]"},
    };
    for (String[] c : cases) {
      assertRefused(400, c[0], call("POST", "/v1.44/containers/create", create("", c[1])), c[1]);
    }
    // An alias is a name on the line its peers' /etc/hosts get for the container.
    for (String alias : List.of("a" + nl + "6.6.6.6 victim", "a b", "a" + nul)) {
      String body =
          "{\"Image\":\""
              + IMAGE
              + "\",\"Cmd\":[\"true\"],\"HostConfig\":{\"NetworkMode\":\"none\"},"
              + "\"NetworkingConfig\":{\"EndpointsConfig\":{\"none\":{\"Aliases\":[\""
              + alias
              + "\"]}}}}";
      assertRefused(400, "--network-alias", call("POST", "/v1.44/containers/create", body), alias);
    }
    assertNothingLeft();

    // A hostname in a joined uts namespace is still written into /etc/hostname and /etc/hosts.
    UnixHttp.Response joined =
        call(
            "POST",
            "/v1.44/containers/create",
            "{\"Image\":\""
                + IMAGE
                + "\",\"Cmd\":[\"sleep\",\"100\"],\"HostConfig\":{\"NetworkMode\":\"none\"}}");
    assertEquals(201, joined.status(), joined.text());
    String joinedId = id(joined);
    assertEquals(204, call("POST", "/v1.44/containers/" + joinedId + "/start", null).status());
    UnixHttp.Response r =
        call(
            "POST",
            "/v1.44/containers/create",
            create(
                "\"Hostname\":\"a" + nl + "6.6.6.6 victim\"",
                "\"UTSMode\":\"container:" + joinedId + "\""));
    assertRefused(400, "invalid hostname format", r, "a hostname in a joined uts namespace");
    assertEquals(1, engine.list().size(), "only the joined container");
    engine.remove(joinedId, true, true);

    UnixHttp.Response made =
        call(
            "POST",
            "/v1.44/containers/create",
            "{\"Image\":\""
                + IMAGE
                + "\",\"Cmd\":[\"cat\",\"/etc/hosts\",\"/etc/resolv.conf\"],"
                + "\"HostConfig\":{\"NetworkMode\":\"none\","
                + "\"ExtraHosts\":[\"db:10.0.0.5\",\"v6:fd00::1\"],"
                + "\"Dns\":[\"10.0.0.53\",\"fe80::1%lo\"],\"DnsSearch\":[\"example.com\"],"
                + "\"DnsOptions\":[\"ndots:2\"]}}");
    assertEquals(201, made.status(), made.text());
    String id = id(made);
    assertEquals(204, call("POST", "/v1.44/containers/" + id + "/start", null).status());
    assertEquals(200, call("POST", "/v1.44/containers/" + id + "/wait", null).status());
    String logs = call("GET", "/v1.44/containers/" + id + "/logs?stdout=1", null).text();
    for (String line :
        List.of(
            "10.0.0.5\tdb\n",
            "fd00::1\tv6\n",
            "search example.com\n",
            "nameserver 10.0.0.53\n",
            "nameserver fe80::1%lo\n",
            "options ndots:2\n")) {
      assertTrue(logs.contains(line), line + " in " + logs);
    }
    // One frame a line (cat's writes): only the client's nameservers, only one search line.
    assertEquals(2, logs.split("nameserver", -1).length - 1, logs);
    assertEquals(1, logs.split("search", -1).length - 1, logs);
  }

  /**
   * Slow-loris: a client that dribbles a request head (a byte every 100 ms), as its first request
   * or after a keep-alive answer, is closed once the head timeout is over instead of holding its
   * connection for ever; a client idle between requests is left alone (as dockerd), and the daemon
   * serves on.
   */
  @Test
  void aDribbledRequestHeadIsClosedAndTheDaemonServesOn() throws Exception {
    server.close();
    DaemonInfo info = new DaemonInfo("0.1.0-test", "test");
    server =
        DockerApiServer.start(
            new DockerApiServer.Options(socket, null, info.serverHeader(), 0, 0, null)
                .withHeadTimeout(java.time.Duration.ofMillis(500)),
            DockerApi.router(engine, info));
    for (boolean afterAnAnswer : List.of(false, true)) {
      try (UnixHttp c = new UnixHttp(socket)) {
        if (afterAnAnswer) {
          assertEquals(200, c.call("GET", "/_ping").status());
          Thread.sleep(1000); // idle between requests, longer than the head timeout: kept
          assertEquals(200, c.call("GET", "/_ping").status(), "an idle keep-alive connection");
        }
        c.out.write("GET /_ping HTTP/1.1\r\nX-Slow: ".getBytes(StandardCharsets.US_ASCII));
        boolean closed = false;
        for (int i = 0; i < 100 && !closed; i++) { // 10 s at most
          try {
            c.out.write('a');
            c.out.flush();
            Thread.sleep(100);
          } catch (IOException broken) {
            closed = true;
          }
        }
        assertTrue(closed, "a dribbled head " + (afterAnAnswer ? "after an answer" : "first"));
      }
    }
    assertEquals(200, call("GET", "/_ping", null).status(), "the daemon still serves");
  }

  @Test
  void seccompProfileGivenAsTheDockerCliSendsItIsEnforced() throws Exception {
    // The docker CLI reads --security-opt seccomp=FILE and sends the JSON: it was taken for a path.
    String profile =
        "seccomp={\\\"defaultAction\\\":\\\"SCMP_ACT_ALLOW\\\",\\\"syscalls\\\":[{\\\"names\\\":"
            + "[\\\"mkdir\\\",\\\"mkdirat\\\"],\\\"action\\\":\\\"SCMP_ACT_ERRNO\\\"}]}";
    UnixHttp.Response r =
        call(
            "POST",
            "/v1.44/containers/create",
            "{\"Image\":\""
                + IMAGE
                + "\",\"Cmd\":[\"sh\",\"-c\",\"mkdir /made && echo made; echo end\"],"
                + "\"HostConfig\":{\"NetworkMode\":\"none\",\"SecurityOpt\":[\""
                + profile
                + "\"]}}");
    assertEquals(201, r.status(), r.text());
    String id = id(r);
    assertEquals(204, call("POST", "/v1.44/containers/" + id + "/start", null).status());
    assertEquals(200, call("POST", "/v1.44/containers/" + id + "/wait", null).status());
    String logs = call("GET", "/v1.44/containers/" + id + "/logs?stdout=1&stderr=1", null).text();
    assertTrue(logs.contains("end"), logs);
    assertFalse(logs.contains("made\n"), "mkdir is refused by the client's profile: " + logs);
  }

  @Test
  void volumeAndNetworkNamesAreNotPaths() throws Exception {
    for (String name : List.of("..", "../x", "/etc", "a\\u0000b", "v".repeat(300))) {
      UnixHttp.Response r = call("POST", "/v1.44/volumes/create", "{\"Name\":\"" + name + "\"}");
      assertEquals(400, r.status(), name + ": " + r.text());
      assertTrue(r.text().contains("volume name"), r.text());
    }
    for (String ref : List.of("..", "%2E%2E", "..%2F..%2Fetc", "a%00b", "v".repeat(300))) {
      for (String kind : List.of("volumes", "networks")) {
        int status = call("DELETE", "/v1.44/" + kind + "/" + ref, null).status();
        assertTrue(status == 404 || status == 400, kind + " rm " + ref + ": " + status);
        assertNotEquals(500, call("GET", "/v1.44/" + kind + "/" + ref, null).status());
      }
    }
    // Names of the store's own files are names like any other: made, used, removed alone.
    for (String name : List.of("lock", "volume.json", "copyup")) {
      assertEquals(
          201, call("POST", "/v1.44/volumes/create", "{\"Name\":\"" + name + "\"}").status());
    }
    assertEquals(204, call("DELETE", "/v1.44/volumes/lock", null).status());
    assertEquals(200, call("GET", "/v1.44/volumes/volume.json", null).status());
    assertEquals(200, call("GET", "/v1.44/volumes/copyup", null).status());
    for (String name : List.of("..", "a/b", "a\\u0000b", "n".repeat(300))) {
      UnixHttp.Response r = call("POST", "/v1.44/networks/create", "{\"Name\":\"" + name + "\"}");
      assertEquals(400, r.status(), name + ": " + r.text());
    }
    // Bridge options that would close the network more than berth does are refused rather than
    // dropped, and nothing is made (DockerCliInteropTest: the others are accepted).
    for (String closed :
        List.of(
            "com.docker.network.bridge.enable_icc\":\"false",
            "com.docker.network.bridge.enable_ip_masquerade\":\"false",
            "com.docker.network.bridge.host_binding_ipv4\":\"127.0.0.1")) {
      UnixHttp.Response r =
          call(
              "POST",
              "/v1.44/networks/create",
              "{\"Name\":\"closed\",\"Options\":{\"" + closed + "\"}}");
      assertEquals(400, r.status(), closed + ": " + r.text());
      assertTrue(r.text().contains("is not supported by berth"), r.text());
      assertEquals(404, call("GET", "/v1.44/networks/closed", null).status(), closed);
    }
    // A user network named like a network mode, or like the default network before it is made,
    // would shadow it: docker's 403.
    for (String name : List.of("bridge", "host", "none", "berth")) {
      assertRefused(
          403,
          "predefined " + name + " network",
          call("POST", "/v1.44/networks/create", "{\"Name\":\"" + name + "\"}"),
          name);
    }
  }

  @Test
  @RequiresCommand({"setpriv", "curl", "groupadd", "groupdel"})
  void socketsAreNeverLooserThanTheirModeAndTheGroupReachesTheDefaultLayout() throws Exception {
    String group = "berth-t" + ProcessHandle.current().pid();
    Exec.run("groupadd", group).ok();
    try {
      String gid = Exec.run("getent", "group", group).ok().stdout().split(":")[2];
      // The default layout: the socket inside the engine's private run root (/run/berth; here
      // under the test's own directory, which the group may traverse as it may /run).
      Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwx--x--x"));
      Path runRoot = tmp.resolve("run");
      Path inRunRoot = runRoot.resolve("docker.sock");
      DockerApiServer grouped = serve(inRunRoot, group);
      try {
        UnixSocketFiles.traversableBy(runRoot, group); // what berthd does with --group
        assertEquals("rw-rw----", mode(inRunRoot));
        assertEquals(group, Files.getAttribute(inRunRoot, "posix:group").toString());
        assertEquals("rwx--x---", mode(runRoot));
        assertEquals("rwx------", mode(runRoot.resolve("containers")));
        // The CLI opening the engine meanwhile keeps the group's way in.
        Engine.open(EngineConfig.at(tmp.resolve("root"), runRoot)).close();
        assertEquals("rwx--x---", mode(runRoot));
        // Nothing staged stays beside the socket.
        try (Stream<Path> s = Files.list(runRoot)) {
          assertTrue(
              s.noneMatch(p -> p.getFileName().toString().startsWith(".berth-")),
              "no staging directory left");
        }
        assertEquals("OK", ping("65534", gid, inRunRoot), "a member of the group connects");
        assertEquals("refused", ping("65534", "65534", inRunRoot), "another user reaches nothing");
        assertEquals(
            "refused",
            asUser("65534", gid, "ls", runRoot.toString()),
            "the group may traverse the run root, not list it");
        UnixSocketFiles.traversableBy(runRoot, null);
        assertEquals("rwx------", mode(runRoot));
      } finally {
        grouped.close();
      }
      // Without a group: root only, whatever the umask made at bind.
      assertEquals("rw-------", mode(socket));
    } finally {
      Exec.run("groupdel", group);
    }
  }

  @Test
  void cve202223471StreamsEndedByTheClientLeaveNoThreadFdOrProcess() throws Exception {
    UnixHttp.Response made =
        call(
            "POST",
            "/v1.44/containers/create",
            "{\"Image\":\""
                + IMAGE
                + "\",\"Cmd\":[\"sleep\",\"1000\"],\"Tty\":true,\"OpenStdin\":true,"
                + "\"HostConfig\":{\"NetworkMode\":\"none\"}}");
    assertEquals(201, made.status(), made.text());
    String id = id(made);
    assertEquals(204, call("POST", "/v1.44/containers/" + id + "/start", null).status());
    sessions(id, 3); // the pool's first threads, netty's buffers
    long threads = busyThreads();
    long fds = openFds();
    sessions(id, 20);
    // What the sessions held is let go once their connections are gone (their workers go back to
    // the pool, or end): polled, since a closing connection is handled on the event loop.
    long deadline = System.nanoTime() + 20_000_000_000L;
    while ((busyThreads() > threads || openFds() > fds) && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    assertTrue(
        busyThreads() <= threads, "threads: " + busyThreads() + " > " + threads + ": " + names());
    assertTrue(openFds() <= fds, "fds: " + openFds() + " > " + fds);
    var top = engine.top(id, List.of());
    assertEquals(1, top.processes().size(), "only the container's init runs: " + top);
    assertEquals(200, call("GET", "/_ping", null).status());
  }

  /**
   * {@code n} rounds of what a client may walk away from: an exec whose client hangs up mid-stream
   * (its stdin ends: cat exits), an exec with a terminal resized while it runs that ends by itself,
   * one that ends while its client never reads, resizes of an exec that is gone, and an attach to
   * the container dropped without a word.
   */
  private void sessions(String id, int n) throws Exception {
    for (int i = 0; i < n; i++) {
      String exec =
          id(
              call(
                  "POST",
                  "/v1.44/containers/" + id + "/exec",
                  "{\"Cmd\":[\"cat\"],\"AttachStdin\":true,\"AttachStdout\":true}"));
      try (UnixHttp s = new UnixHttp(socket)) {
        s.send("POST", "/exec/" + exec + "/start", UPGRADE, "{}".getBytes());
        assertEquals(101, s.head().status());
        s.out.write("hi\n".getBytes());
        s.out.flush();
        assertEquals(11, s.in.readNBytes(11).length); // one frame: cat runs
      } // the client hangs up
      String tty =
          id(
              call(
                  "POST",
                  "/v1.44/containers/" + id + "/exec",
                  "{\"Cmd\":[\"head\",\"-c\",\"5\"],\"Tty\":true,\"AttachStdin\":true,"
                      + "\"AttachStdout\":true}"));
      try (UnixHttp s = new UnixHttp(socket)) {
        s.send("POST", "/exec/" + tty + "/start", UPGRADE, "{\"Tty\":true}".getBytes());
        assertEquals(101, s.head().status());
        assertEquals(200, call("POST", "/exec/" + tty + "/resize?h=20&w=80", null).status());
        s.out.write("hello\n".getBytes());
        s.out.flush();
        awaitExit(tty);
      }
      int late = call("POST", "/exec/" + tty + "/resize?h=10&w=10", null).status();
      assertTrue(late != 500, "resize of an ended exec: " + late);
      String quick =
          id(
              call(
                  "POST",
                  "/v1.44/containers/" + id + "/exec",
                  "{\"Cmd\":[\"sh\",\"-c\",\"echo bye\"],\"AttachStdout\":true}"));
      try (UnixHttp s = new UnixHttp(socket)) {
        s.send("POST", "/exec/" + quick + "/start", UPGRADE, "{}".getBytes());
        assertEquals(101, s.head().status());
        // never read: the exec ends, its output waits in the socket until the close
        awaitExit(quick);
      }
      int resized = call("POST", "/exec/" + quick + "/resize?h=10&w=10", null).status();
      assertTrue(resized == 409 || resized == 200 || resized == 404, "resize: " + resized);
      try (UnixHttp a = new UnixHttp(socket)) {
        a.send(
            "POST", "/v1.44/containers/" + id + "/attach?stream=1&stdin=1&stdout=1", UPGRADE, null);
        assertEquals(101, a.head().status());
        assertEquals(
            200, call("POST", "/v1.44/containers/" + id + "/resize?h=30&w=90", null).status());
      } // dropped
    }
  }

  private void awaitExit(String exec) throws Exception {
    for (int i = 0; i < 200; i++) {
      if (call("GET", "/exec/" + exec + "/json", null).text().contains("\"Running\":false")) return;
      Thread.sleep(50);
    }
  }

  /** Threads of this JVM (it is berthd here) not idling in a pool. */
  private static long busyThreads() {
    return Thread.getAllStackTraces().entrySet().stream()
        .filter(e -> e.getKey().isAlive())
        .filter(
            e ->
                Stream.of(e.getValue())
                    .noneMatch(f -> f.getClassName().contains("SynchronousQueue")))
        .count();
  }

  private static List<String> names() {
    return Thread.getAllStackTraces().entrySet().stream()
        .map(e -> e.getKey().getName() + "@" + (e.getValue().length > 2 ? e.getValue()[2] : ""))
        .sorted()
        .toList();
  }

  private static long openFds() throws IOException {
    try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
      return s.count();
    }
  }

  private static String mode(Path p) throws IOException {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
  }

  private String ping(String uid, String gid, Path at) throws Exception {
    String out =
        asUser(
            uid,
            gid,
            "curl",
            "-s",
            "--max-time",
            "20",
            "--unix-socket",
            at.toString(),
            "http://d/_ping");
    return out.equals("OK") ? "OK" : "refused";
  }

  /**
   * {@code argv} run as {@code uid} with primary and only group {@code gid}: its output, or
   * "refused".
   */
  private static String asUser(String uid, String gid, String... argv) throws Exception {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                "setpriv",
                "--reuid=" + uid,
                "--regid=" + gid,
                "--groups=" + gid,
                "--inh-caps=-all"));
    cmd.addAll(List.of(argv));
    var r = Exec.run(cmd.toArray(String[]::new));
    return r.exitCode() == 0 ? r.stdout().trim() : "refused";
  }
}
