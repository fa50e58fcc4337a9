package dev.berth.image.registry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.spec.image.MediaTypes;
import dev.berth.testkit.RequiresCommand;
import dev.berth.testkit.registry.LocalRegistry;
import java.io.IOException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** Basic and token authentication against a real docker-registry. */
@RequiresCommand({"docker-registry", "htpasswd", "openssl"})
class RegistryAuthTest {

  static RegistryClient client(LocalRegistry r, Credentials c) {
    return new RegistryClient(
        RegistriesConfig.empty(), host -> host.equals(r.address()) ? c : null);
  }

  static void pushAndPull(LocalRegistry r, RegistryClient client, String path) throws IOException {
    TestImage img = TestImage.make(path);
    RegistryClient.Repository repo = client.repo(r.address(), path);
    repo.pushBlob(img.layerDesc(), BlobSource.of(img.layer()), null);
    repo.pushBlob(img.configDesc(), BlobSource.of(img.config()), null);
    repo.putManifest("v1", img.manifest(), MediaTypes.OCI_MANIFEST);
    assertArrayEquals(img.manifest(), repo.manifest("v1", null).body());
    try (var in = repo.blob(img.layerDesc(), 0)) {
      assertArrayEquals(img.layer(), in.readAllBytes());
    }
  }

  @Nested
  class Basic {
    static LocalRegistry registry;

    @BeforeAll
    static void start() {
      registry = LocalRegistry.basicAuth();
    }

    @AfterAll
    static void stop() {
      if (registry != null) registry.close();
    }

    @Test
    void rightPasswordPushesAndPulls() throws Exception {
      try (RegistryClient c =
          client(registry, new Credentials(registry.user(), registry.password()))) {
        pushAndPull(registry, c, "basic/ok");
        c.checkLogin(registry.address(), new Credentials(registry.user(), registry.password()));
      }
    }

    @Test
    void wrongPasswordIsUnauthorized() throws Exception {
      Credentials wrong = new Credentials(registry.user(), "wrong");
      try (RegistryClient c = client(registry, wrong)) {
        RegistryException e =
            assertThrows(RegistryException.class, () -> c.checkLogin(registry.address(), wrong));
        assertEquals(
            "login " + registry.address() + ": unauthorized: wrong user name or password",
            e.getMessage());
        e =
            assertThrows(
                RegistryException.class,
                () -> c.repo(registry.address(), "basic/x").manifest("v1", null));
        assertEquals(401, e.status());
        assertTrue(e.isAuthFailure());
        assertTrue(
            e.getMessage().startsWith("pull " + registry.address() + "/basic/x:v1: unauthorized"),
            e.getMessage());
      }
    }

    @Test
    void anonymousIsRefused() throws Exception {
      try (RegistryClient c =
          new RegistryClient(RegistriesConfig.empty(), CredentialSource.ANONYMOUS)) {
        RegistryException e =
            assertThrows(
                RegistryException.class,
                () -> c.repo(registry.address(), "basic/x").manifest("v1", null));
        assertEquals(401, e.status());
        assertEquals("UNAUTHORIZED", e.code());
      }
    }
  }

  @Nested
  class Token {
    static LocalRegistry registry;

    @BeforeAll
    static void start() {
      registry = LocalRegistry.tokenAuth();
    }

    @AfterAll
    static void stop() {
      if (registry != null) registry.close();
    }

    @Test
    void rightPasswordPushesAndPullsAndTokensAreCached() throws Exception {
      Credentials creds = new Credentials(registry.user(), registry.password());
      try (RegistryClient c = client(registry, creds)) {
        pushAndPull(registry, c, "token/ok");
        int before = registry.tokenServer().requests();
        pushAndPull(registry, c, "token/ok");
        // the same scopes again: the cached tokens are used, the token server is not asked
        assertEquals(
            before,
            registry.tokenServer().requests(),
            registry.tokenServer().scopesAsked().toString());
        assertTrue(
            registry.tokenServer().scopesAsked().contains("repository:token/ok:pull,push"),
            registry.tokenServer().scopesAsked().toString());
      }
    }

    @Test
    void checkLoginAcceptsTheRightPasswordOnly() throws Exception {
      try (RegistryClient c =
          new RegistryClient(RegistriesConfig.empty(), CredentialSource.ANONYMOUS)) {
        c.checkLogin(registry.address(), new Credentials(registry.user(), registry.password()));
        RegistryException e =
            assertThrows(
                RegistryException.class,
                () -> c.checkLogin(registry.address(), new Credentials(registry.user(), "wrong")));
        assertEquals(401, e.status());
        assertTrue(
            e.getMessage()
                .startsWith("login " + registry.address() + ": unauthorized: token server "),
            e.getMessage());
        assertTrue(
            e.getMessage().contains("refused the credentials of \"" + registry.user() + "\""),
            e.getMessage());
      }
    }

    @Test
    void wrongPasswordAndAnonymousAreRefused() throws Exception {
      try (RegistryClient c = client(registry, new Credentials(registry.user(), "wrong"))) {
        RegistryException e =
            assertThrows(
                RegistryException.class,
                () -> c.repo(registry.address(), "token/x").manifest("v1", null));
        assertTrue(e.isAuthFailure(), e.getMessage());
      }
      try (RegistryClient c =
          new RegistryClient(RegistriesConfig.empty(), CredentialSource.ANONYMOUS)) {
        RegistryException e =
            assertThrows(
                RegistryException.class,
                () -> c.repo(registry.address(), "token/x").manifest("v1", null));
        assertTrue(e.getMessage().contains("refused anonymous access"), e.getMessage());
      }
    }

    @Test
    void readOnlyUserPullsButCannotPush() throws Exception {
      try (RegistryClient writer =
          client(registry, new Credentials(registry.user(), registry.password()))) {
        pushAndPull(registry, writer, "token/shared");
      }
      Credentials ro = new Credentials(registry.readOnlyUser(), registry.readOnlyPassword());
      try (RegistryClient reader = client(registry, ro)) {
        RegistryClient.Repository repo = reader.repo(registry.address(), "token/shared");
        repo.manifest("v1", null);
        TestImage other = TestImage.make("reader's own");
        RegistryException e =
            assertThrows(
                RegistryException.class,
                () -> repo.pushBlob(other.layerDesc(), BlobSource.of(other.layer()), null));
        assertTrue(e.isAuthFailure(), e.getMessage());
        assertTrue(
            e.getMessage().startsWith("push " + registry.address() + "/token/shared blob "),
            e.getMessage());
      }
    }

    @Test
    void identityTokenIsExchangedForAccessTokens() throws Exception {
      Credentials idt = new Credentials("<token>", "", registry.tokenServer().identityToken());
      try (RegistryClient c = client(registry, idt)) {
        pushAndPull(registry, c, "token/identity");
      }
      Credentials bad = new Credentials("<token>", "", "not-the-token");
      try (RegistryClient c = client(registry, bad)) {
        RegistryException e =
            assertThrows(
                RegistryException.class,
                () -> c.repo(registry.address(), "token/identity").manifest("v1", null));
        assertTrue(e.getMessage().contains("refused the identity token"), e.getMessage());
      }
    }

    @Test
    void mountAcrossRepositoriesAsksForBothScopes() throws Exception {
      Credentials creds = new Credentials(registry.user(), registry.password());
      try (RegistryClient c = client(registry, creds)) {
        byte[] data = TestImage.random(2000, 9);
        var d =
            new dev.berth.spec.image.Descriptor(
                "application/octet-stream",
                dev.berth.spec.image.Digest.sha256Of(data),
                data.length);
        c.repo(registry.address(), "token/from").pushBlob(d, BlobSource.of(data), null);
        c.repo(registry.address(), "token/to")
            .pushBlob(
                d,
                () -> {
                  throw new AssertionError("uploaded instead of mounting");
                },
                "token/from");
        assertTrue(
            registry
                .tokenServer()
                .scopesAsked()
                .contains("repository:token/from:pull repository:token/to:pull,push"),
            registry.tokenServer().scopesAsked().toString());
      }
    }
  }
}
