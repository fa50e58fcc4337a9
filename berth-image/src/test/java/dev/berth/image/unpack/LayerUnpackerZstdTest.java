package dev.berth.image.unpack;

import dev.berth.spec.image.MediaTypes.Compression;

/**
 * Every LayerUnpackerTest case on zstd-compressed tars: through the pipe of two threads, read from
 * a decompressor that has no direct buffer of its own (the pipe's heap path).
 */
class LayerUnpackerZstdTest extends LayerUnpackerTest {
  LayerUnpackerZstdTest() {
    compression = Compression.ZSTD;
  }
}
