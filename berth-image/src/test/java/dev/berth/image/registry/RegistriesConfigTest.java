package dev.berth.image.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.spec.json.SpecException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RegistriesConfigTest {
  @TempDir Path tmp;

  static RegistriesConfig parse(String json) throws SpecException {
    return RegistriesConfig.parse(json.getBytes(), "registries.json");
  }

  @Test
  void withoutConfigEveryRegistryIsItselfAndDockerHubIsRegistry1() throws Exception {
    RegistriesConfig c = RegistriesConfig.load(tmp.resolve("absent.json"));
    assertEquals(
        List.of(new Endpoint("registry-1.docker.io", false, false, "library/busybox")),
        c.endpoints("docker.io", "library/busybox"));
    assertEquals(
        List.of(new Endpoint("quay.io", false, false, "a/b")), c.endpoints("quay.io", "a/b"));
  }

  @Test
  void loopbackRegistriesAllowPlainHttpWithoutConfig() throws Exception {
    RegistriesConfig c = RegistriesConfig.empty();
    for (String host :
        List.of("localhost:5000", "127.0.0.1:5000", "127.1.2.3", "[::1]:5000", "localhost")) {
      assertTrue(c.endpoints(host, "x").get(0).plainHttpAllowed(), host);
    }
    for (String host : List.of("128.0.0.1:5000", "localhost.example.com", "10.0.0.1")) {
      assertFalse(c.endpoints(host, "x").get(0).plainHttpAllowed(), host);
    }
  }

  @Test
  void mirrorsComeFirstAndTheLongestPrefixWins() throws Exception {
    RegistriesConfig c =
        parse(
            """
        {"registries": [
          {"prefix": "example.com", "mirrors": [{"location": "wide-mirror:5000"}]},
          {"prefix": "example.com/team", "location": "internal.example.com/mirrored/team", "insecure": true,
           "mirrors": [{"location": "m1:5000/team", "insecure": true}, {"location": "m2/t"}]}
        ]}""");
    assertEquals(
        List.of(
            new Endpoint("m1:5000", true, true, "team/app/web"),
            new Endpoint("m2", false, true, "t/app/web"),
            new Endpoint("internal.example.com", true, false, "mirrored/team/app/web")),
        c.endpoints("example.com", "team/app/web"));
    // "example.com/teams" is not under the prefix "example.com/team": whole components only
    assertEquals(
        List.of(
            new Endpoint("wide-mirror:5000", false, true, "teams/x"),
            new Endpoint("example.com", false, false, "teams/x")),
        c.endpoints("example.com", "teams/x"));
    assertEquals(
        new Endpoint("internal.example.com", true, false, "mirrored/team/a"),
        c.pushEndpoint("example.com", "team/a"));
  }

  @Test
  void wildcardPrefixesMatchSubdomains() throws Exception {
    RegistriesConfig c =
        parse(
            """
        {"registries": [{"prefix": "*.corp.example", "insecure": true}]}""");
    assertTrue(c.endpoints("reg.corp.example:5000", "a").get(0).plainHttpAllowed());
    assertFalse(c.endpoints("corp.example.org", "a").get(0).plainHttpAllowed());
  }

  @Test
  void insecureRegistriesListAndBlockedEntries() throws Exception {
    RegistriesConfig c =
        parse(
            """
        {"registries": [{"prefix": "evil.example.com", "blocked": true}],
         "insecureRegistries": ["10.0.0.5:5000"]}""");
    assertTrue(c.endpoints("10.0.0.5:5000", "a").get(0).plainHttpAllowed());
    RegistryException e =
        assertThrows(RegistryException.class, () -> c.endpoints("evil.example.com", "x/y"));
    assertEquals(
        "registry \"evil.example.com\" is blocked by registries.json (for evil.example.com/x/y)",
        e.getMessage());
    try (RegistryClient client = new RegistryClient(c, CredentialSource.ANONYMOUS)) {
      assertThrows(RegistryException.class, () -> client.repo("evil.example.com", "x"));
      assertThrows(
          RegistryException.class,
          () -> client.checkLogin("evil.example.com", new Credentials("a", "b")));
    }
  }

  @Test
  void badFilesNameTheField() throws Exception {
    SpecException e =
        assertThrows(
            SpecException.class,
            () -> parse("{\"registries\":[{\"prefix\":\"a\",\"insecure\":\"yes\"}]}"));
    assertEquals(
        "registries.json: registries[0].insecure: expected boolean, got string", e.getMessage());
    e = assertThrows(SpecException.class, () -> parse("{\"registries\":[{\"mirrors\":[]}]}"));
    assertTrue(e.getMessage().contains("registry without a prefix or location"), e.getMessage());
    Path f = tmp.resolve("r.json");
    Files.writeString(f, "{\"insecureRegistries\":[\"a/b\"]}");
    var io = assertThrows(java.io.IOException.class, () -> RegistriesConfig.load(f));
    assertTrue(
        io.getMessage().startsWith("read registries config " + f + ": insecureRegistries[0]"),
        io.getMessage());
  }

  @org.junit.jupiter.params.ParameterizedTest(name = "{0}: {1}")
  @org.junit.jupiter.params.provider.CsvSource(
      delimiter = '|',
      textBlock =
          """
      localhost             | true
      localhost:5000        | true
      LOCALHOST:5000        | true
      127.0.0.1             | true
      127.0.0.1:5000        | true
      127.1.2.3:80          | true
      [::1]:5000            | true
      [::1]                 | true
      docker.io             | false
      127.0.0.256:5000      | false
      127.0.0               | false
      128.0.0.1             | false
      localhost.example.com | false
      [::2]:5000            | false
      myhost:5000           | false
      """)
  void knowsLoopbackRegistries(String host, boolean loopback) {
    assertEquals(loopback, RegistriesConfig.isLoopback(host));
  }
}
