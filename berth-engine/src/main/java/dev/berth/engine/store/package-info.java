/**
 * The engine's container metadata: one store per engine root, shared by every {@code berth} process
 * and {@code berthd}, transactional, and whole after a {@code kill -9} at any point.
 *
 * <h2>Why files and not SQLite</h2>
 *
 * DESIGN.md names SQLite (sqlite-jdbc) as the default. Measured here, sqlite-jdbc adds about 56 ms
 * to a cold CLI start even with an AOT cache and its native library extracted beforehand (76 ms to
 * 132 ms for open and one query), against a budget of about 40 ms per verb (DESIGN.md "Startup
 * budget"). So the store is files, as docker keeps a config file per container: what the store
 * needs of a database (atomic replacement of one record, exclusion of writers, lock-free readers)
 * the kernel gives with rename(2), symlink(2) and flock(2). {@code bench/engine-store.sh} prints
 * what open, list of 100 and create cost.
 *
 * <h2>Layout</h2>
 *
 * <pre>
 * &lt;root&gt;/containers.lock              flock: one writer at a time, any process, any thread
 * &lt;root&gt;/containers.dirty             "1" while a multi-step change runs (a crash leaves it: repair), else "0"
 * &lt;root&gt;/names/&lt;name&gt; -&gt; &lt;id&gt;        a symlink per name: reserved and read in one syscall, never torn
 * &lt;root&gt;/containers/&lt;id&gt;/container.json   the record ({@link dev.berth.engine.store.ContainerRecord})
 * &lt;root&gt;/containers/&lt;id&gt;/            its flock: the container's lifecycle lock ({@code ContainerStore.lock})
 * &lt;root&gt;/containers/&lt;id&gt;/removed     a removal's tombstone: the record, renamed, until the removal ends
 * &lt;root&gt;/containers/&lt;id&gt;/...         the container's own files (hostname, hosts, resolv.conf, exit file, logs)
 * &lt;root&gt;/containers.trash/&lt;id&gt;-&lt;n&gt;   a removed container's directory, until {@code emptyTrash} deletes it
 * </pre>
 *
 * Every directory is 0700 and the root is checked to be the user's own (berth-image's {@code
 * PrivateDirs}).
 *
 * <h2>Transactions and crashes</h2>
 *
 * A record is replaced whole ({@link dev.berth.engine.store.AtomicFiles}: a temporary file, O_SYNC,
 * rename over, fsync of the directory): a reader sees the old record or the new one. Readers take
 * no lock. Writers hold {@code containers.lock}, so a read-modify-write ({@code update}) is atomic
 * and two processes racing on one name are ordered: exactly one creates it. A change that a reboot
 * makes moot (a container's running state) skips the directory's fsync ({@code updateUnsynced}):
 * the record is whole after a power cut, but may be the one before the change, which is what a
 * {@code kill -9} just before the change would leave. The same holds for facts a later step stores
 * again (a created container's command and hostname, which its start generates and stores anew). A
 * create syncs the record's data, its name link and its directory together before the rename that
 * makes the record exist, then that rename.
 *
 * <p>Changes of several files are ordered so that every intermediate state reads as "before" or
 * "after", by one rule: <b>a name belongs to a container when {@code names/<name>} points at its id
 * and its record says that name; a container exists when its directory has a record.</b> Create
 * links the name first, then writes the record; a crash in between leaves a name that points at
 * nothing, which nobody counts as taken. Rename links the new name, rewrites the record, unlinks
 * the old name: the record decides which link is its own. Remove renames the record to the
 * tombstone {@code removed} and fsyncs its directory, the one synced step of a removal (a power cut
 * before it brings back the container whole, after it never); then what the container owned outside
 * the store goes (its snapshot: the caller's), then the name, then the directory (a rename into the
 * trash, whose files {@code emptyTrash} deletes, on the daemon's own thread or at once), none of
 * them synced, since each is garbage once the record is gone. No mark is written before: a
 * container being removed is either there, whole, or gone. The garbage that a crash leaves (names
 * no record owns, directories without a record, {@code .tmp} files) is thus ignored by every
 * reader, and removed by the next writer or the next {@code open} when the crash marker ({@code
 * containers.dirty}) says a writer died mid-change; {@code repair()} sweeps on demand. A directory
 * with a tombstone is finished by that repair when the store was opened with what removes the
 * things a container owned outside it (the engine's opens trash its snapshot first, so a removal
 * that was killed never leaves a snapshot behind); its id stays taken until then. The marker is not
 * fsynced: after a power cut (not a process crash) it may be lost, and the garbage then stays
 * ignored until a writer touches the same name or {@code repair()} runs.
 *
 * <h2>Unreadable records</h2>
 *
 * Only a hand edit or a damaged disk makes one (writes are atomic). {@code list} reports it with
 * its path and reason beside the records it could read, and leaves the file alone; {@code get} of
 * it fails INTERNAL naming the file; {@code remove} removes it with its names, so {@code berth rm
 * <id>} cleans up. Its name stays taken until then.
 *
 * <h2>Compatibility</h2>
 *
 * Readers ignore fields they do not know and default missing ones, so an older berth reads a newer
 * record; it would drop the newer fields when it rewrites the record.
 */
package dev.berth.engine.store;
