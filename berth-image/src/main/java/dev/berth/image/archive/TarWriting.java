package dev.berth.image.archive;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * Writes archive members with fixed owners and times, so saving the same images twice gives the
 * same bytes.
 */
final class TarWriting implements AutoCloseable {
  private final TarArchiveOutputStream tar;

  TarWriting(OutputStream out) {
    tar = new TarArchiveOutputStream(out, 1 << 16);
    tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
    tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
  }

  void dir(String name) throws IOException {
    TarArchiveEntry e = new TarArchiveEntry(name.endsWith("/") ? name : name + "/");
    e.setMode(0755);
    e.setModTime(0);
    tar.putArchiveEntry(e);
    tar.closeArchiveEntry();
  }

  void file(String name, byte[] content) throws IOException {
    TarArchiveEntry e = new TarArchiveEntry(name);
    e.setMode(0644);
    e.setModTime(0);
    e.setSize(content.length);
    tar.putArchiveEntry(e);
    tar.write(content);
    tar.closeArchiveEntry();
  }

  void file(String name, long size, InputStream content) throws IOException {
    TarArchiveEntry e = new TarArchiveEntry(name);
    e.setMode(0644);
    e.setModTime(0);
    e.setSize(size);
    tar.putArchiveEntry(e);
    long copied = content.transferTo(tar);
    if (copied != size)
      throw new IOException(name + ": wrote " + copied + " bytes, declared " + size);
    tar.closeArchiveEntry();
  }

  @Override
  public void close() throws IOException {
    tar.finish();
    tar.close();
  }
}
