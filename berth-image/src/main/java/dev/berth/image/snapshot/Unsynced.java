package dev.berth.image.snapshot;

import dev.berth.spec.image.Digest;
import dev.berth.spec.image.MediaTypes.Compression;

/**
 * A committed snapshot whose tree may not be on disk yet: its commit marked it instead of syncing
 * its file system, and no sync has cleared the mark since. The mark names what rebuilds the tree:
 * the layer blob (synced into the content store before the commit) and its compression.
 *
 * @param boot the boot id when the mark was made
 * @param thisBoot whether the mark was made since the machine last started: if not, a power cut may
 *     have left the tree's files empty or short, and the snapshot must be unpacked again
 */
public record Unsynced(
    Digest chainId, Digest blob, Compression compression, String boot, boolean thisBoot) {}
