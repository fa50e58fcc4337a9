package dev.berth.spec.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ReferenceTest {
  private static final String D = "sha256:" + "0123456789abcdef".repeat(4);

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
            busybox                                | docker.io/library/busybox                 | busybox
            busybox:1.36                           | docker.io/library/busybox:1.36            | busybox:1.36
            user/app                               | docker.io/user/app                        | user/app
            user/app:latest                        | docker.io/user/app:latest                 | user/app:latest
            docker.io/busybox                      | docker.io/library/busybox                 | busybox
            docker.io/library/busybox:musl         | docker.io/library/busybox:musl            | busybox:musl
            index.docker.io/library/busybox:latest | docker.io/library/busybox:latest          | busybox:latest
            index.docker.io/busybox                | docker.io/library/busybox                 | busybox
            docker.io/library/a/b                  | docker.io/library/a/b                     | library/a/b
            localhost/x                            | localhost/x                               | localhost/x
            localhost:5000/x                       | localhost:5000/x                          | localhost:5000/x
            127.0.0.1:5000/a/b:t                   | 127.0.0.1:5000/a/b:t                      | 127.0.0.1:5000/a/b:t
            localhost:5000                         | docker.io/library/localhost:5000          | localhost:5000
            registry:5000/app                      | registry:5000/app                         | registry:5000/app
            [::1]:5000/x:1                         | [::1]:5000/x:1                            | [::1]:5000/x:1
            [fe80::1]/x                            | [fe80::1]/x                               | [fe80::1]/x
            quay.io/org/app:v1.2.3                 | quay.io/org/app:v1.2.3                    | quay.io/org/app:v1.2.3
            ghcr.io/o/r/deep/er                    | ghcr.io/o/r/deep/er                       | ghcr.io/o/r/deep/er
            Foo/bar                                | Foo/bar                                   | Foo/bar
            My-Registry.Example.com/app            | My-Registry.Example.com/app               | My-Registry.Example.com/app
            a.b-c/d_e/f__g/h--i.j:T_ag-1.0         | a.b-c/d_e/f__g/h--i.j:T_ag-1.0            | a.b-c/d_e/f__g/h--i.j:T_ag-1.0
            a0/b---c                               | docker.io/a0/b---c                        | a0/b---c
            x/y:_tag                               | docker.io/x/y:_tag                        | x/y:_tag
            """)
  void normalises(String input, String canonical, String familiar) {
    Reference r = Reference.parse(input);
    assertEquals(canonical, r.toString());
    assertEquals(familiar, r.familiar());
    assertEquals(
        r, Reference.parse(r.toString()), "the canonical form parses to the same reference");
    assertEquals(r, Reference.parse(r.familiar()), "so does the familiar one");
  }

  @Test
  void keepsTagAndDigestTogether() {
    Reference r = Reference.parse("busybox:1.36@" + D);
    assertEquals("docker.io", r.domain());
    assertEquals("library/busybox", r.path());
    assertEquals("1.36", r.tag());
    assertEquals(Digest.parse(D), r.digest());
    assertEquals("docker.io/library/busybox:1.36@" + D, r.toString());
    assertEquals("busybox:1.36@" + D, r.familiar());
    Reference byDigest = Reference.parse("host.example/x@" + D);
    assertEquals("host.example", byDigest.domain());
    assertEquals("", byDigest.tag());
    assertFalse(byDigest.hasTag());
    assertEquals("host.example/x", byDigest.name());
  }

  @ParameterizedTest(name = "{0}: {1}")
  @CsvSource(
      delimiter = '|',
      emptyValue = "",
      textBlock =
          """
            ''                             | empty reference
            Foo                            | repository name must be lowercase
            Foo:Bar                        | repository name must be lowercase
            docker.io/Library/x            | repository name must be lowercase
            quay.io/Org/app                | repository name must be lowercase
            a//b                           | invalid repository name component ""
            a/                             | invalid repository name component ""
            -a                             | invalid repository name component "-a"
            a-                             | invalid repository name component "a-"
            a_-b                           | invalid repository name component "a_-b"
            a___b                          | invalid repository name component "a___b"
            a..b                           | invalid repository name component "a..b"
            a b                            | invalid repository name component "a b"
            localhost:5000/                | repository name is empty
            :tag                           | repository name is empty
            busybox:                       | empty tag
            busybox:.x                     | invalid tag ".x"
            busybox:-x                     | invalid tag "-x"
            busybox:a+b                    | invalid tag "a+b"
            busybox@sha256:abc             | invalid sha256 digest: want 64 hex digits, got 3
            busybox@md5:0123               | unsupported digest algorithm "md5"
            busybox@                       | invalid digest ""
            -host.com/x                    | invalid domain "-host.com"
            host.com:port/x                | invalid domain "host.com:port": port must be a number
            host.com:/x                    | invalid domain "host.com:": port must be a number
            [zz]:5000/x                    | invalid domain "[zz]:5000": bad IPv6 address
            host..com/x                    | invalid domain "host..com"
            """)
  void refuses(String input, String what) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Reference.parse(input));
    assertTrue(e.getMessage().startsWith("invalid reference \"" + input + "\": "), e.getMessage());
    assertTrue(e.getMessage().contains(what), e.getMessage());
  }

  @Test
  void aRefusedReferenceIsShownOnOneLineAndCut() {
    assertEquals(
        "invalid reference \"a\\nb\\x1b[2J:t\": repository name must be lowercase",
        assertThrows(IllegalArgumentException.class, () -> Reference.parse("a\nb\u001b[2J:t"))
            .getMessage());
    String huge = "a/".repeat(100_000) + "b";
    String msg =
        assertThrows(IllegalArgumentException.class, () -> Reference.parse(huge)).getMessage();
    assertTrue(msg.length() < 1000, msg.length() + " chars");
  }

  @Test
  void refusesTheExactMessagesUsersSee() {
    assertEquals(
        "invalid reference \"Foo\": repository name must be lowercase",
        assertThrows(IllegalArgumentException.class, () -> Reference.parse("Foo")).getMessage());
    String id = "0123456789abcdef".repeat(4);
    assertEquals(
        "invalid reference \""
            + id
            + "\": a 64-character hex string is an image id, not a repository "
            + "name",
        assertThrows(IllegalArgumentException.class, () -> Reference.parse(id)).getMessage());
  }

  @Test
  void limitsNameAndTagLength() {
    // docker.io/library/ is 18 characters: the name is 255 with 237 more
    String longest = "a".repeat(237);
    assertEquals(255, Reference.parse(longest).name().length());
    assertTrue(
        assertThrows(IllegalArgumentException.class, () -> Reference.parse(longest + "b"))
            .getMessage()
            .contains("name is longer than 255 characters"));
    assertEquals(128, Reference.parse("x:" + "t".repeat(128)).tag().length());
    assertTrue(
        assertThrows(IllegalArgumentException.class, () -> Reference.parse("x:" + "t".repeat(129)))
            .getMessage()
            .contains("tag is longer than 128 characters"));
  }

  @Test
  void withTagDigestAndDefaultTag() {
    Reference plain = Reference.parse("busybox");
    assertEquals("", plain.tag());
    assertNull(plain.digest());
    assertEquals("docker.io/library/busybox:latest", plain.withDefaultTag().toString());
    Reference tagged = Reference.parse("busybox:1.36");
    assertSame(tagged, tagged.withDefaultTag());
    Reference pinned = Reference.parse("busybox@" + D);
    assertSame(pinned, pinned.withDefaultTag(), "a digest is enough: no tag is added");
    assertEquals(
        "docker.io/library/busybox:2@" + D,
        plain.withTag("2").withDigest(Digest.parse(D)).toString());
    assertEquals(
        "docker.io/library/busybox@" + D,
        tagged.withTag("").withDigest(Digest.parse(D)).toString());
    assertTrue(
        assertThrows(IllegalArgumentException.class, () -> plain.withTag("bad tag"))
            .getMessage()
            .startsWith("invalid reference \"docker.io/library/busybox:bad tag\": invalid tag"));
    assertThrows(
        IllegalArgumentException.class, () -> new Reference("docker.io", "Upper", "", null));
  }
}
