package dev.berth.image.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuthStoreTest {
  @TempDir Path tmp;
  Path home;
  Path xdg;

  @BeforeEach
  void dirs() throws IOException {
    home = Files.createDirectories(tmp.resolve("home"));
    xdg = Files.createDirectories(tmp.resolve("run"));
  }

  static String auth(String user, String pass) {
    return Base64.getEncoder().encodeToString((user + ":" + pass).getBytes(StandardCharsets.UTF_8));
  }

  static void write(Path file, String json) throws IOException {
    Files.createDirectories(file.getParent());
    Files.writeString(file, json);
  }

  static String entry(String key, String user) {
    return "{\"auths\":{\"" + key + "\":{\"auth\":\"" + auth(user, "pw-" + user) + "\"}}}";
  }

  @Test
  void lookupTakesTheFirstFileInOrder() throws Exception {
    Path explicit = tmp.resolve("explicit.json");
    Path berthXdg = xdg.resolve("berth/auth.json");
    Path containersXdg = xdg.resolve("containers/auth.json");
    Path containersHome = home.resolve(".config/containers/auth.json");
    Path docker = home.resolve(".docker/config.json");
    AuthStore store =
        new AuthStore(explicit, Map.of("HOME", home.toString(), "XDG_RUNTIME_DIR", xdg.toString()));
    assertEquals(
        java.util.List.of(explicit, berthXdg, containersXdg, containersHome, docker),
        store.searchOrder());

    write(explicit, "{}");
    assertNull(store.lookup("r.example"));
    write(docker, entry("r.example", "docker"));
    assertEquals("docker", store.lookup("r.example").username());
    write(containersHome, entry("r.example", "containers-home"));
    assertEquals("containers-home", store.lookup("r.example").username());
    write(containersXdg, entry("r.example", "containers-xdg"));
    assertEquals("containers-xdg", store.lookup("r.example").username());
    write(berthXdg, entry("r.example", "berth"));
    assertEquals("berth", store.lookup("r.example").username());
    write(explicit, entry("r.example", "explicit"));
    Credentials c = store.lookup("r.example");
    assertEquals(new Credentials("explicit", "pw-explicit"), c);
    // an earlier file without the registry does not hide a later one
    write(
        docker,
        "{\"auths\":{\"r.example\":{\"auth\":\""
            + auth("d", "x")
            + "\"},\"only.docker\":{\"auth\":\""
            + auth("docker-only", "x")
            + "\"}}}");
    assertEquals("docker-only", store.lookup("only.docker").username());
    assertNull(store.lookup("nowhere.example"));
  }

  @Test
  void withoutXdgRuntimeDirBerthsFileIsUnderHome() {
    AuthStore store = new AuthStore(null, Map.of("HOME", home.toString()));
    assertEquals(home.resolve(".config/berth/auth.json"), store.writableFile());
    assertEquals(
        java.util.List.of(
            home.resolve(".config/berth/auth.json"),
            home.resolve(".config/containers/auth.json"),
            home.resolve(".docker/config.json")),
        store.searchOrder());
  }

  @Test
  void dockerConfigForms() throws Exception {
    write(
        home.resolve(".docker/config.json"),
        """
        {"auths": {
           "https://index.docker.io/v1/": {"auth": "%s"},
           "http://insecure.example:5000": {"auth": "%s"},
           "helper.example": {},
           "token.example": {"auth": "%s", "identitytoken": "refresh-me"}
         },
         "credsStore": "desktop",
         "credHelpers": {"gcr.io": "gcloud"}}
        """
            .formatted(
                auth("hubuser", "hubpass"), auth("plain", "p:with:colons"), auth("<token>", "")));
    AuthStore store = new AuthStore(null, Map.of("HOME", home.toString()));
    assertEquals(new Credentials("hubuser", "hubpass"), store.lookup("docker.io"));
    assertEquals(new Credentials("hubuser", "hubpass"), store.lookup("registry-1.docker.io"));
    assertEquals(new Credentials("plain", "p:with:colons"), store.lookup("insecure.example:5000"));
    assertNull(
        store.lookup("helper.example")); // only a credential helper knows: not supported, no crash
    assertNull(store.lookup("gcr.io"));
    Credentials t = store.lookup("token.example");
    assertTrue(t.hasIdentityToken());
    assertEquals("refresh-me", t.identityToken());
    assertFalse(t.toString().contains("refresh-me"));
  }

  @Test
  void badFilesNameTheEntry() throws Exception {
    write(home.resolve(".docker/config.json"), "{\"auths\":{\"r.example\":{\"auth\":\"!!!\"}}}");
    AuthStore store = new AuthStore(null, Map.of("HOME", home.toString()));
    IOException e = assertThrows(IOException.class, () -> store.lookup("r.example"));
    assertEquals(
        "read credentials "
            + home.resolve(".docker/config.json")
            + ": auths.\"r.example\".auth: not base64 of user:password",
        e.getMessage());
  }

  @Test
  void loginWritesBerthsFilePrivatelyAndLogoutRemovesTheEntry() throws Exception {
    AuthStore store =
        new AuthStore(null, Map.of("HOME", home.toString(), "XDG_RUNTIME_DIR", xdg.toString()));
    store.login("a.example", new Credentials("ann", "secret"));
    store.login("https://index.docker.io/v1/", new Credentials("hub", "h"));
    store.login("a.example", new Credentials("ann", "changed"));
    Path file = xdg.resolve("berth/auth.json");
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    assertEquals(new Credentials("ann", "changed"), store.lookup("a.example"));
    assertEquals(new Credentials("hub", "h"), store.lookup("docker.io"));
    String json = Files.readString(file);
    assertTrue(json.contains("\"docker.io\""), json);
    // the format others read: podman and skopeo can use the file with --authfile
    assertTrue(json.contains("\"auth\": \"" + auth("ann", "changed") + "\""), json);

    assertTrue(store.logout("a.example"));
    assertFalse(store.logout("a.example"));
    assertNull(store.lookup("a.example"));
    assertEquals(new Credentials("hub", "h"), store.lookup("docker.io"));
    try (var files = Files.list(file.getParent())) {
      assertEquals(
          java.util.Set.of("auth.json", "auth.json.lock"),
          files.map(p -> p.getFileName().toString()).collect(java.util.stream.Collectors.toSet()));
    }
  }

  @Test
  void aMissingAuthfileIsAnErrorThatNamesItExceptForLoginWhichCreatesIt() throws Exception {
    Path missing = tmp.resolve("missing/auth.json");
    write(home.resolve(".docker/config.json"), entry("r.example", "docker"));
    AuthStore store = new AuthStore(missing, Map.of("HOME", home.toString()));
    IOException e = assertThrows(IOException.class, () -> store.lookup("r.example"));
    assertEquals("read credentials " + missing + ": no such file", e.getMessage());
    e = assertThrows(IOException.class, () -> store.logout("r.example"));
    assertEquals("read credentials " + missing + ": no such file", e.getMessage());
    assertFalse(Files.exists(missing.getParent()), "nothing made by a refused logout");
    store.login("r.example", new Credentials("me", "pw"));
    assertEquals("me", store.lookup("r.example").username());
  }

  @Test
  void loginWithAnAuthfileWritesThatFile() throws Exception {
    Path explicit = tmp.resolve("mine.json");
    AuthStore store = new AuthStore(explicit, Map.of("HOME", home.toString()));
    store.login("b.example", new Credentials("bob", "pw"));
    assertTrue(Files.exists(explicit));
    assertFalse(Files.exists(home.resolve(".config/berth/auth.json")));
  }
}
