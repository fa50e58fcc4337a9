package dev.berth.image.unpack;

import dev.berth.spec.image.Digest;
import java.util.List;

/**
 * What one layer unpack did.
 *
 * @param diffId sha256 of the uncompressed tar stream, as the image config's rootfs.diff_ids lists
 *     it
 * @param tarBytes the length of the uncompressed tar stream
 * @param entries tar entries applied (whiteouts included)
 * @param fileBytes bytes of regular-file content written
 * @param whiteouts whiteout and opaque markers applied
 * @param skippedDevices device nodes not created because this process may not (not root in the
 *     initial user namespace)
 * @param madeDirs directories the unpacker made (0755, root) for entries whose parent the layer
 *     does not list, parents first: in an overlay layer they stand for the lower layers'
 *     directories, whose owner and mode they must take (see {@code Staging.madeDirs}); "" first
 *     when the layer has no entry for its root ("./"), which it then leaves as the layers below
 *     have it
 */
public record UnpackResult(
    Digest diffId,
    long tarBytes,
    long entries,
    long fileBytes,
    long whiteouts,
    long skippedDevices,
    List<String> madeDirs) {}
