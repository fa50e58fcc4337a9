// The image of bench/pull.sh, as an OCI layout: LAYERS gzip layers of about MB_PER_LAYER MB compressed each (files
// half random, half a repeated pattern, so gzip halves them), plus one layer of SMALL small files (1-4 KiB, 100 per
// directory). Deterministic: the same arguments give the same digests. Standalone (no testkit, no libraries) so the
// script needs only a JDK: java bench/Gen.java <layout-dir> [LAYERS] [MB_PER_LAYER] [SMALL]
import java.io.*;
import java.nio.charset.StandardCharsets;
import java.nio.file.*;
import java.security.*;
import java.util.*;
import java.util.zip.GZIPOutputStream;

public class Gen {
  static final long MTIME = 1704067200L;
  static Path blobs;

  public static void main(String[] a) throws Exception {
    Path dir = Path.of(a[0]);
    int layers = a.length > 1 ? Integer.parseInt(a[1]) : 5;
    int mb = a.length > 2 ? Integer.parseInt(a[2]) : 40;
    int small = a.length > 3 ? Integer.parseInt(a[3]) : 10000;
    blobs = Files.createDirectories(dir.resolve("blobs/sha256"));
    List<String[]> written = new ArrayList<>(); // {digest, size, diffId}
    Random sizes = new Random(1);
    for (int l = 0; l <= layers; l++) {
      final int layer = l;
      written.add(layer(tar -> {
        if (layer < layers) {
          dir(tar, "big" + layer + "/");
          long perFile = 2L * mb << 20 >> 2; // 4 files, twice the compressed target (half compresses away)
          for (int f = 0; f < 4; f++) file(tar, "big" + layer + "/f" + f, perFile, layer * 100L + f);
        } else {
          dir(tar, "small/");
          for (int i = 0; i < small; i++) {
            if (i % 100 == 0) dir(tar, String.format("small/d%03d/", i / 100));
            file(tar, String.format("small/d%03d/f%05d", i / 100, i), 1024 + sizes.nextInt(3073), 1_000_000L + i);
          }
        }
        tar.write(new byte[1024]);
      }));
    }
    StringBuilder diffIds = new StringBuilder(), history = new StringBuilder(), descs = new StringBuilder();
    for (String[] w : written) {
      String sep = diffIds.length() == 0 ? "" : ",";
      diffIds.append(sep).append('"').append(w[2]).append('"');
      history.append(sep).append("{\"created\":\"2024-01-01T00:00:00Z\",\"created_by\":\"bench/Gen.java\"}");
      descs.append(sep).append(desc("application/vnd.oci.image.layer.v1.tar+gzip", w[0], Long.parseLong(w[1])));
    }
    byte[] config = ("{\"created\":\"2024-01-01T00:00:00Z\",\"architecture\":\"amd64\",\"os\":\"linux\","
        + "\"config\":{\"Cmd\":[\"/bin/sh\"]},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[" + diffIds + "]},"
        + "\"history\":[" + history + "]}").getBytes(StandardCharsets.UTF_8);
    String cfg = blob(config);
    byte[] manifest = ("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":"
        + desc("application/vnd.oci.image.config.v1+json", cfg, config.length) + ",\"layers\":[" + descs + "]}")
        .getBytes(StandardCharsets.UTF_8);
    String m = blob(manifest);
    Files.writeString(dir.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
    Files.writeString(dir.resolve("index.json"), "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":"
        + "\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" + m + "\",\"size\":" + manifest.length
        + ",\"annotations\":{\"org.opencontainers.image.ref.name\":\"latest\"}}]}");
    System.out.println(m);
  }

  interface Body { void write(OutputStream tar) throws IOException; }

  static String[] layer(Body body) throws Exception {
    MessageDigest blob = MessageDigest.getInstance("SHA-256"), tar = MessageDigest.getInstance("SHA-256");
    Path tmp = blobs.resolve(".tmp");
    try (OutputStream f = new DigestOutputStream(new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16), blob);
         GZIPOutputStream gz = new GZIPOutputStream(f, 1 << 16);
         OutputStream t = new DigestOutputStream(gz, tar)) {
      body.write(t);
    }
    String d = "sha256:" + HexFormat.of().formatHex(blob.digest());
    long size = Files.size(tmp);
    Files.move(tmp, blobs.resolve(d.substring(7)), StandardCopyOption.REPLACE_EXISTING);
    return new String[] {d, Long.toString(size), "sha256:" + HexFormat.of().formatHex(tar.digest())};
  }

  static String blob(byte[] b) throws Exception {
    String d = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    Files.write(blobs.resolve(d), b);
    return "sha256:" + d;
  }

  static String desc(String mt, String digest, long size) {
    return "{\"mediaType\":\"" + mt + "\",\"digest\":\"" + digest + "\",\"size\":" + size + "}";
  }

  static void dir(OutputStream tar, String name) throws IOException {
    tar.write(header(name, '5', 0, 0755));
  }

  // Half of every 64 KiB chunk (or of a smaller file) random, half a pattern: about 2:1 under gzip.
  static void file(OutputStream tar, String name, long size, long seed) throws IOException {
    tar.write(header(name, '0', size, 0644));
    Random r = new Random(seed);
    byte[] chunk = new byte[65536];
    for (long left = size; left > 0; ) {
      int n = (int) Math.min(left, chunk.length);
      r.nextBytes(chunk);
      for (int i = 0; i < n / 2; i++) chunk[i] = (byte) ('a' + i % 26);
      tar.write(chunk, 0, n);
      left -= n;
    }
    tar.write(new byte[(int) ((512 - size % 512) % 512)]);
  }

  // A ustar header: names here are short, sizes fit 11 octal digits.
  static byte[] header(String name, char type, long size, int mode) {
    byte[] h = new byte[512];
    byte[] n = name.getBytes(StandardCharsets.UTF_8);
    System.arraycopy(n, 0, h, 0, n.length);
    octal(h, 100, 8, mode);
    octal(h, 108, 8, 0);
    octal(h, 116, 8, 0);
    octal(h, 124, 12, size);
    octal(h, 136, 12, MTIME);
    h[156] = (byte) type;
    System.arraycopy("ustar\u000000".getBytes(StandardCharsets.US_ASCII), 0, h, 257, 8);
    Arrays.fill(h, 148, 156, (byte) ' ');
    int sum = 0;
    for (byte b : h) sum += b & 0xff;
    octal(h, 148, 7, sum);
    return h;
  }

  static void octal(byte[] h, int off, int len, long v) {
    String s = Long.toOctalString(v);
    s = "0".repeat(len - 1 - s.length()) + s;
    System.arraycopy(s.getBytes(StandardCharsets.US_ASCII), 0, h, off, len - 1);
    h[off + len - 1] = 0;
  }
}
