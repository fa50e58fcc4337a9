package dev.berth.image.snapshot;

import dev.berth.spec.image.Digest;
import java.io.IOException;
import java.util.List;
import java.util.Set;

/**
 * Layer snapshots on disk, keyed by chain id ({@link ChainIds}): committed ones are read-only and
 * shared; active ones (a container's rootfs) are writable and named by a key. A snapshotter returns
 * mount descriptions; the caller mounts them ({@link Mounts}). Several processes may share one
 * root: committing the same chain id twice keeps the first.
 */
public interface Snapshotter {
  /** Whether {@code chainId} is committed. */
  boolean has(Digest chainId) throws IOException;

  /**
   * A new staging directory for the layer that makes {@code chainId}, on {@code parentChainId}
   * (null for a bottom layer). The parent must be committed before this staging is; a snapshotter
   * whose layers are not {@link #layersIndependent() independent} needs it committed already here.
   * Unpack into {@link Staging#dir()} with {@link Staging#mode()}.
   */
  Staging stage(Digest chainId, Digest parentChainId) throws IOException;

  /**
   * A staging for a layer whose chain id is not known yet: a pull unpacks a layer while the image's
   * config, which lists the diff ids chain ids are made of, is still on its way. Only where {@link
   * #layersIndependent() layers are independent}; {@code bottom} says whether the layer is its
   * image's first (it has no parent). {@link #name} it before its {@link #commit}.
   */
  Staging stageUnnamed(boolean bottom) throws IOException;

  /**
   * Names a staging made by {@link #stageUnnamed}: the chain id it makes, on {@code parentChainId}
   * (null exactly when it was staged as a bottom layer).
   */
  void name(Staging staging, Digest chainId, Digest parentChainId) throws IOException;

  /**
   * Publishes the staging directory atomically as {@code staging.chainId()}; refused while its
   * parent is not committed. When another process committed the same chain id meanwhile, ours is
   * discarded: first wins, and that is not an error.
   *
   * <p>A committed snapshot is never checked again, so its tree must not be lost to a power cut
   * after the commit. A staging without a {@link Staging#source source} has its file system synced
   * before it is published. One with a source is published at once with a durable {@link Unsynced
   * mark}: {@link #sync} clears marks later, once the kernel has written the trees back anyway, and
   * after a reboot a surviving mark says the tree must be unpacked again from its blob ({@link
   * #replace}). A pull then returns at the speed of the CPU and still never leaves a broken layer.
   */
  void commit(Staging staging) throws IOException;

  /**
   * The marks of committed snapshots not synced since their commit, of this boot and earlier ones;
   * marks whose snapshot is gone are dropped.
   */
  List<Unsynced> unsynced() throws IOException;

  /** Whether there is any mark at all: one directory read, cheap enough for every open. */
  boolean anyUnsynced() throws IOException;

  /**
   * Syncs the snapshots' file system, then forgets {@code marks} (this boot's, listed before the
   * call: a mark made after the list may name a tree the sync did not cover).
   */
  void sync(List<Unsynced> marks) throws IOException;

  /**
   * Replaces the tree of committed {@code staging.chainId()} by the staging's, unpacked again from
   * the same layer: synced, then swapped in with one rename of the chain's link; the chain's marks
   * are forgotten and the old tree removed. For repairs after a power cut, when nothing uses the
   * snapshots yet.
   */
  void replace(Staging staging) throws IOException;

  /**
   * Syncs this boot's marks on a daemon thread once the kernel has had time to write the trees back
   * by itself (its dirty-page expiry, 30 s by default), so that the sync finds little to do and
   * delays no one; a marked commit asks for it, and so does an open that finds marks (those already
   * that old are synced at once). A process that exits first leaves its marks to the next one that
   * opens the store.
   */
  void syncLater();

  /** Forgets a mark without repairing anything (its blob is gone). */
  void forget(Unsynced mark) throws IOException;

  /** The parent chain id of committed {@code chainId}, or null for a bottom layer. */
  Digest parent(Digest chainId) throws IOException;

  /** Discards a staging directory. */
  void abort(Staging staging) throws IOException;

  /** Read-only mounts showing the whole chain ending in {@code chainId}. */
  List<Mount> view(Digest chainId) throws IOException;

  /**
   * A new writable snapshot named {@code key} on {@code parentChainId} (null: empty), e.g. a
   * container's rootfs; the mounts show it. Keys are short names: letters, digits, '.', '_', '-'.
   */
  List<Mount> prepare(String key, Digest parentChainId) throws IOException;

  /**
   * The mounts of the active snapshot {@code key} made by {@link #prepare}, to mount it again
   * (after a reboot).
   */
  List<Mount> mounts(String key) throws IOException;

  /** Removes the active snapshot {@code key} (unmount it first); nothing there is fine. */
  void remove(String key) throws IOException;

  /**
   * Removes the active snapshot {@code key} at once as far as anyone can see (unmount it first):
   * one rename into the snapshotter's trash, whose files {@link #emptyTrash} deletes later, on a
   * thread or in a process that is not waiting for it; nothing there is fine. The key is free again
   * on return, and the trash depends on no image: their layers may go before it is emptied.
   */
  void trash(String key) throws IOException;

  /**
   * Deletes what {@link #trash} moved aside, by this process or another (one that died before it
   * emptied the trash included); returns how many snapshots it deleted. One process or thread
   * empties at a time: with {@code wait} false, another doing it already makes this return 0 at
   * once (it deletes what it finds); with {@code wait}, this waits for it, then deletes what is
   * left.
   */
  int emptyTrash(boolean wait) throws IOException;

  /**
   * Removes committed {@code chainId}; refused while a committed or active snapshot has it as its
   * parent.
   */
  void remove(Digest chainId) throws IOException;

  /** The committed chain ids. */
  Set<Digest> committed() throws IOException;

  /** Bytes on disk used by {@code chainId}'s own directory (blocks allocated, holes excluded). */
  long usage(Digest chainId) throws IOException;

  /**
   * Whether a layer unpacks without its parent's tree (overlay: a snapshot holds only its own
   * diff), so a pull may unpack the layers of one image in parallel. False when a snapshot starts
   * as a copy of its parent.
   */
  boolean layersIndependent();

  /**
   * Removes snapshot directories that no chain id names: stagings of a pull, load or import that
   * was killed before it committed or aborted them. Only safe while nothing stages (callers hold
   * the store's GC lock, which every pull, load and import holds shared); returns how many it
   * removed.
   */
  int removeUncommitted() throws IOException;

  /**
   * Removes every committed snapshot not in {@code keep}, children before parents; a snapshot that
   * an active snapshot (a container's rootfs) or a kept child still depends on stays.
   */
  default void retainOnly(Set<Digest> keep) throws IOException {
    boolean progress = true;
    while (progress) {
      progress = false;
      for (Digest chain : committed()) {
        if (keep.contains(chain)) continue;
        try {
          remove(chain);
          progress = true;
        } catch (IOException stillNeeded) {
          // a child goes first (next round), or something still uses it (it stays)
        }
      }
    }
  }
}
